// Process-level system calls Swift's Glibc module does not export (prctl, signal handlers that must be C).
// No Perl here: the bootstrap's Perl shim is CPerl; the emulator uses these too.
#ifndef CPROCESS_H
#define CPROCESS_H

#include <signal.h>

/// Signal masks: Swift and NIO threads block the asynchronous signals (INT, TERM, HUP, QUIT, ALRM, USR1/2, CHLD,
/// PIPE, VTALRM, PROF, WINCH), so they reach the Perl thread, which unblocks them and where `%SIG` handlers run
/// as Perl code expects. `old` (may be NULL) receives the previous mask, for cproc_restore_signal_mask.
void cproc_block_async_signals(sigset_t *old);
void cproc_unblock_async_signals(void);
void cproc_restore_signal_mask(const sigset_t *old);

/// A write to a closed socket must be an error return, not a process-killing SIGPIPE.
void cproc_ignore_sigpipe(void);

/// Gives the fatal signals (SEGV, BUS, ILL, ABRT, TRAP, SYS, QUIT, FPE) their default action back, so a fault,
/// abort() or a kill of the process ends it at once. Swift's runtime installs its crash backtracer on them when
/// SWIFT_BACKTRACE enables it (and it finds swift-backtrace, as builds against the toolchain do): `kill 'SEGV', $$`
/// from a handler was then caught, a backtrace printed into the function's log, and the invocation answered as a
/// success. Call before the interpreter exists: perl then sets SIGFPE to ignored, as plain perl does.
void cproc_restore_fatal_defaults(void);

/// PR_SET_PDEATHSIG: the kernel sends `signal` to this process when its parent dies. 0 on success.
int cproc_die_with_parent(int signal);

/// PR_SET_CHILD_SUBREAPER: orphaned descendants are reparented to this process instead of init. 0 on success.
int cproc_become_subreaper(void);

/// The signal `cproc_kill_group_on` uses: a real-time one (SIGRTMIN + 3) that neither perl nor Swift claim.
int cproc_group_death_signal(void);

/// Installs a handler for `signal` that SIGKILLs this process's whole process group (itself included). For a
/// runtime that leads its own group: paired with cproc_die_with_parent(signal), its descendants die with the parent.
/// Refuses (returns -1) unless this process leads its group, so it never reaches a shell's group.
int cproc_kill_group_on(int signal);

/// Guards another process group: from now on, when this process's parent dies (even SIGKILLed), process group
/// `pgid` is SIGKILLed; and this process exits once that group is gone. Never returns. For `perl-lambda serve`,
/// which starts one beside each runtime that cannot arrange this itself (runtimes other than our bootstrap).
void cproc_guard_group(int pgid) __attribute__((noreturn));

/// pidfd_open(2): a file descriptor that becomes readable when process `pid` exits (Linux 5.3+); -1 on failure.
int cproc_pidfd_open(int pid);

#endif
