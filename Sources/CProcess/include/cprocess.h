// Process-level system calls Swift's Glibc module does not export (prctl, signal handlers that must be C).
// No Perl here: the bootstrap's Perl shim is CPerl; the emulator uses these too.
#ifndef CPROCESS_H
#define CPROCESS_H

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
