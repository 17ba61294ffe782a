// The module is header-only (CPrefetch.h); SwiftPM needs a source file to build the target.
