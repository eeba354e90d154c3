// Process helpers Swift's Glibc module does not export.
#include <sys/prctl.h>
#include "include/cperl.h"

int cperl_die_with_parent(int signal) { return prctl(PR_SET_PDEATHSIG, (unsigned long)signal); }
