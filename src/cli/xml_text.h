/*
 * xml_text.h: text inside the SVG and HTML that rmemu writes (show,
 * compare): escaped for XML, and sizes as a person reads them.
 */
#ifndef RMEMU_CLI_XML_TEXT_H
#define RMEMU_CLI_XML_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* s with &, <, > and " escaped, for element text and attribute values alike. */
void cli_xml_escaped(FILE *out, const char *s);

/* "512 bytes", "4 KiB", "1.5 MiB": the largest binary unit that keeps the figure at least 1. */
void cli_size_text(uint64_t n, char *buf, size_t len);

#endif
