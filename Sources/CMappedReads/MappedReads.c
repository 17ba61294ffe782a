#include "CMappedReads.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static char guard_message[1024];
static size_t guard_length;
static int guard_installed;

static void on_bus_error(int signal) {
    (void)signal;
    // Only async-signal-safe calls here.
    ssize_t written = write(STDERR_FILENO, guard_message, guard_length);
    (void)written;
    _exit(1);
}

void genre_guard_mapped_reads(const char *message) {
    if (__atomic_exchange_n(&guard_installed, 1, __ATOMIC_SEQ_CST)) return;  // the first message stays
    size_t length = strlen(message);
    if (length > sizeof guard_message - 1) length = sizeof guard_message - 1;
    memcpy(guard_message, message, length);
    guard_length = length;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_bus_error;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, NULL);
}
