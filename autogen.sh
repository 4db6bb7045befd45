#!/bin/sh
# Regenerate the build system from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
autoreconf --force --install "$@"
# autoconf keeps the files it replaced; they are no part of the tree
rm -f configure~ config.h.in~
