#
# The trace the pkg runtime replays by default: rmemu's sub_rm example.
#
content: sub_rm.trace

sub_rm.trace:
	cp $(REP_DIR)/../examples/sub_rm.trace $@
