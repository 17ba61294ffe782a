// TagLib is C++; Sources/CTagLib wraps it in a C API. This module only carries TagLib's
// pkg-config flags (include path, -ltag) to the targets that depend on it.
