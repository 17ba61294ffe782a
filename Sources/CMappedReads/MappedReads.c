#include "CMappedReads.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char text[1024];
    size_t length;
} Message;

static Message fallback;
static int fallback_set;

// Slots: 0 free, 1 being written or cleared, 2 ready for the handler.
enum { RANGES = 16 };
static struct {
    int state;
    uintptr_t start, end;
    Message message;
} ranges[RANGES];

static void copy_message(Message *to, const char *message) {
    size_t length = strlen(message);
    if (length > sizeof to->text - 1) length = sizeof to->text - 1;
    memcpy(to->text, message, length);
    to->length = length;
}

static void on_bus_error(int signal, siginfo_t *info, void *context) {
    (void)signal;
    (void)context;
    // Only async-signal-safe calls here.
    const Message *message = NULL;
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int i = 0; i < RANGES && !message; i++) {
        if (__atomic_load_n(&ranges[i].state, __ATOMIC_ACQUIRE) == 2 && address >= ranges[i].start && address < ranges[i].end)
            message = &ranges[i].message;
    }
    if (!message && __atomic_load_n(&fallback_set, __ATOMIC_ACQUIRE) == 2) message = &fallback;
    static const char unnamed[] = "genre: error: a file in use could not be read (changed by another program, or a disk error)\n";
    ssize_t written = message ? write(STDERR_FILENO, message->text, message->length) : write(STDERR_FILENO, unnamed, sizeof unnamed - 1);
    (void)written;
    _exit(1);
}

static void install(void) {
    static int installed;
    if (__atomic_exchange_n(&installed, 1, __ATOMIC_SEQ_CST)) return;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_bus_error;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, NULL);
}

void genre_guard_mapped_reads(const char *message) {
    int expected = 0;
    if (__atomic_compare_exchange_n(&fallback_set, &expected, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        copy_message(&fallback, message);  // the first message stays
        __atomic_store_n(&fallback_set, 2, __ATOMIC_RELEASE);
    }
    install();
}

void genre_guard_mapped_range(const void *start, size_t length, const char *message) {
    install();
    for (int i = 0; i < RANGES; i++) {
        int expected = 0;
        if (!__atomic_compare_exchange_n(&ranges[i].state, &expected, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) continue;
        ranges[i].start = (uintptr_t)start;
        ranges[i].end = (uintptr_t)start + length;
        copy_message(&ranges[i].message, message);
        __atomic_store_n(&ranges[i].state, 2, __ATOMIC_RELEASE);
        return;
    }
    // All slots taken: the mapping falls back to the shared message, or the unnamed one.
}

void genre_unguard_mapped_range(const void *start) {
    for (int i = 0; i < RANGES; i++) {
        int expected = 2;
        if (ranges[i].start == (uintptr_t)start &&
            __atomic_compare_exchange_n(&ranges[i].state, &expected, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            ranges[i].start = ranges[i].end = 0;
            __atomic_store_n(&ranges[i].state, 0, __ATOMIC_RELEASE);
            return;
        }
    }
}
