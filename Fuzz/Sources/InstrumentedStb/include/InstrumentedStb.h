// Nothing to import: the target only links an instrumented stb_image (InstrumentedStb.c).
