// glibc's extended-attribute calls (in libc itself), which Swift's Glibc module leaves out.
#include <sys/xattr.h>
