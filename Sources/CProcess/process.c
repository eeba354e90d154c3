#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "include/cprocess.h"

static void async_set(sigset_t *set) {
    static const int async[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGALRM, SIGUSR1, SIGUSR2, SIGCHLD, SIGPIPE,
                                SIGVTALRM, SIGPROF, SIGWINCH};
    sigemptyset(set);
    for (size_t i = 0; i < sizeof async / sizeof async[0]; i++) sigaddset(set, async[i]);
}

void cproc_block_async_signals(sigset_t *old) {
    sigset_t set;
    async_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, old);
}

void cproc_unblock_async_signals(void) {
    sigset_t set;
    async_set(&set);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void cproc_restore_signal_mask(const sigset_t *old) { pthread_sigmask(SIG_SETMASK, old, NULL); }

void cproc_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

void cproc_restore_fatal_defaults(void) {
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGTRAP, SIGSYS, SIGQUIT, SIGFPE};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) signal(fatal[i], SIG_DFL);
}

int cproc_die_with_parent(int signal) { return prctl(PR_SET_PDEATHSIG, (unsigned long)signal); }

int cproc_become_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1UL); }

/// sigaction(2) for one handler, no flags, nothing else blocked while it runs.
static int install(int signal, void (*handler)(int)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    return sigaction(signal, &sa, NULL);
}

static volatile sig_atomic_t guarded_group;

static void kill_guarded_group(int signal) {
    (void)signal;
    kill(-(pid_t)guarded_group, SIGKILL);
    _exit(0);
}

void cproc_guard_group(int pgid) {
    guarded_group = pgid;
    int sig = cproc_group_death_signal();
    install(sig, kill_guarded_group);
    prctl(PR_SET_PDEATHSIG, (unsigned long)sig);
    if (getppid() == 1) kill_guarded_group(sig); // the parent died before we asked
    while (kill(-(pid_t)pgid, 0) == 0 || errno != ESRCH) sleep(1);
    _exit(0);
}

int cproc_pidfd_open(int pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    return -1;
#endif
}

int cproc_group_death_signal(void) { return SIGRTMIN + 3; }

// Async-signal-safe: kill(2) only.
static void kill_group(int signal) {
    (void)signal;
    kill(0, SIGKILL);
}

int cproc_kill_group_on(int signal) {
    if (getpgrp() != getpid()) return -1;
    return install(signal, kill_group);
}
