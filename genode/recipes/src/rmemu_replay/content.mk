#
# Source archive of the rmemu_replay component: the component, the rmemu
# library description, and rmemu's portable C sources (as src/portable.mk
# lists them, side by side in src/lib/rmemu) and public headers, taken
# from the rmemu source tree this Genode repository sits in.
#
MIRROR_FROM_REP_DIR := src/app/rmemu_replay lib/mk/rmemu.mk lib/import/import-rmemu.mk \
                       src/lib/rmemu/genode_string.c src/lib/rmemu/include

RMEMU_DIR := $(REP_DIR)/..

include $(RMEMU_DIR)/src/portable.mk

content: $(MIRROR_FROM_REP_DIR) rmemu_sources include/rmemu LICENSE

$(MIRROR_FROM_REP_DIR):
	$(mirror_from_rep_dir)

rmemu_sources:
	mkdir -p src/lib/rmemu
	cp $(addprefix $(RMEMU_DIR)/src/,$(RMEMU_PORTABLE_C) $(RMEMU_PORTABLE_H) portable.mk) src/lib/rmemu/

include/rmemu:
	mkdir -p include
	cp -r $(RMEMU_DIR)/include/rmemu include/

LICENSE:
	cp $(RMEMU_DIR)/LICENSE $@

.PHONY: rmemu_sources
