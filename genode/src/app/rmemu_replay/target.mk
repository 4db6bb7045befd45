TARGET = rmemu_replay
SRC_CC = main.cc
LIBS   = base rmemu
