// The SIGBUS guard. A mapping outlives the file size it was made for: when
// another process truncates the file, the pages past the new end disappear
// and the next load from them raises SIGBUS, which by default kills the
// process. logscan runs its accesses to mapped bytes inside
// logscan_guarded_call; the handler jumps back out of the body and the caller
// turns the fault into an error after re-checking the size with fstat.
#define _GNU_SOURCE
#include "logscan_support.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

// The active jump buffer of this thread, or NULL outside a guarded call.
// volatile plus signal fences: the store must reach memory before the body
// runs, or the optimizer may sink it past the call or drop it as dead.
static _Thread_local sigjmp_buf *volatile current_jump;
static _Thread_local volatile uintptr_t fault_address_slot;

static struct sigaction previous_action;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t faults;

static void chain_to_previous(int signo, siginfo_t *info, void *ucontext) {
    if (previous_action.sa_flags & SA_SIGINFO) {
        if (previous_action.sa_sigaction) {
            previous_action.sa_sigaction(signo, info, ucontext);
            return;
        }
    } else if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
        previous_action.sa_handler(signo);
        return;
    }
    // Default action: restore it and return; the faulting access re-executes
    // and the signal, now unhandled, terminates the process as it would have.
    signal(signo, SIG_DFL);
}

// Mappings whose views escape the guard (a zero-copy record handed to the
// caller). A fault on one of them outside any guard must not kill the process
// either: the handler maps zero pages over the rest of the mapping, marks it,
// and lets the access re-execute; the reader sees the mark at its next step
// and reports the truncation.
#define MAX_MAPPINGS 512
struct mapping_slot {
    _Atomic uintptr_t start;
    _Atomic uintptr_t end;
    _Atomic int faulted;
};
static struct mapping_slot mappings[MAX_MAPPINGS];

int logscan_guard_register_mapping(const void *start, size_t length) {
    logscan_guard_install();
    for (int i = 0; i < MAX_MAPPINGS; i++) {
        uintptr_t expected = 0;
        if (atomic_compare_exchange_strong(&mappings[i].start, &expected, (uintptr_t)start)) {
            atomic_store(&mappings[i].faulted, 0);
            atomic_store(&mappings[i].end, (uintptr_t)start + length);
            return i;
        }
    }
    return -1;  // table full: the mapping is still guarded inside logscan_guarded_call
}

void logscan_guard_unregister_mapping(int slot) {
    if (slot < 0 || slot >= MAX_MAPPINGS) return;
    atomic_store(&mappings[slot].end, 0);
    atomic_store(&mappings[slot].start, 0);
}

int logscan_guard_mapping_faulted(int slot) {
    if (slot < 0 || slot >= MAX_MAPPINGS) return 0;
    return atomic_load(&mappings[slot].faulted);
}

static int patch_registered_mapping(uintptr_t address) {
    for (int i = 0; i < MAX_MAPPINGS; i++) {
        uintptr_t start = atomic_load(&mappings[i].start);
        uintptr_t end = atomic_load(&mappings[i].end);
        if (start == 0 || address < start || address >= end) continue;
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t from = address & ~(page - 1);
        void *patched = mmap((void *)from, end - from, PROT_READ,
                             MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (patched == MAP_FAILED) return 0;
        atomic_store(&mappings[i].faulted, 1);
        atomic_fetch_add_explicit(&faults, 1, memory_order_relaxed);
        return 1;
    }
    return 0;
}

static void on_sigbus(int signo, siginfo_t *info, void *ucontext) {
    sigjmp_buf *jump = current_jump;
    if (jump == NULL) {
        if (!patch_registered_mapping((uintptr_t)info->si_addr))
            chain_to_previous(signo, info, ucontext);
        return;
    }
    current_jump = NULL;
    fault_address_slot = (uintptr_t)info->si_addr;
    atomic_fetch_add_explicit(&faults, 1, memory_order_relaxed);
    siglongjmp(*jump, 1);
}

static void install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    // SA_NODEFER: we leave the handler by siglongjmp; sigsetjmp(env, 1)
    // restores the mask anyway, this keeps a second fault deliverable.
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous_action);
}

void logscan_guard_install(void) { pthread_once(&install_once, install); }

int logscan_guarded_call(logscan_guard_body body, void *context, uintptr_t *fault_address) {
    logscan_guard_install();
    sigjmp_buf jump;
    sigjmp_buf *volatile outer = current_jump;  // guards may nest
    // savemask 0: no sigprocmask system call per guarded call. The handler
    // runs with SA_NODEFER, so SIGBUS is never left blocked by the jump.
    if (sigsetjmp(jump, 0) != 0) {
        atomic_signal_fence(memory_order_seq_cst);
        current_jump = outer;
        if (fault_address) *fault_address = fault_address_slot;
        return 1;
    }
    current_jump = &jump;
    atomic_signal_fence(memory_order_seq_cst);
    body(context);
    atomic_signal_fence(memory_order_seq_cst);
    current_jump = outer;
    return 0;
}

uint64_t logscan_guard_fault_count(void) {
    return atomic_load_explicit(&faults, memory_order_relaxed);
}
