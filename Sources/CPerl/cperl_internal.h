// Private to the CPerl target: the only header that includes perl.h.
#ifndef CPERL_INTERNAL_H
#define CPERL_INTERNAL_H

#include <EXTERN.h>
#include <perl.h>
#include <XSUB.h>
#undef ref   /* perl.h macro clashes */
#include "include/cperl.h"

// Older perls than the build machine's 5.36 (Amazon Linux 2023's dnf installs 5.32; t/perl-versions.sh
// compiles this target against it).
#ifndef G_LIST
#define G_LIST G_ARRAY
#endif
#ifndef SvIsBOOL
#define SvIsBOOL(sv) 0   /* native booleans came with 5.36 */
#endif
#ifndef newAV_alloc_x
static inline AV *cperl_newAV_alloc_x(pTHX_ SSize_t n) {
    AV *av = newAV();
    if (n > 0) av_extend(av, n - 1);
    return av;
}
#define newAV_alloc_x(n) cperl_newAV_alloc_x(aTHX_ (n))
#endif

/// How PerlLambda::Host::invoke ended, the first value it returns. Defined here once: cperl_xs_init gives them to
/// Perl as the constants PerlLambda::Host::RESULT, ERROR and STREAMED, which Host.pm returns.
enum cperl_invoke_kind {
    CPERL_KIND_RESULT = 0,   ///< (RESULT, $result)
    CPERL_KIND_ERROR = 1,    ///< (ERROR, $error_type, \%error_document)
    CPERL_KIND_STREAMED = 3, ///< (STREAMED): the response went out through the stream callbacks
};

/// Appends the error document for `type`, `message` (Perl strings, any representation) and `frames` (NULL: none)
/// to `out`, through the writer the Swift side installed (cperl.c).
void cperl_write_document(pTHX_ cperl_buf *out, SV *type, SV *message, AV *frames);

/// Registers DynaLoader and the runtime's XS functions (cperl_xs.c); perl_parse's xs_init.
void cperl_xs_init(pTHX);
/// Registers PerlLambda::Host::_psgi_env and _psgi_prelude: AWS::Lambda::PSGI's request env and streamed
/// response prelude in C (psgi_env.c).
void cperl_psgi_env_init(pTHX);
/// The current invocation's stream callbacks (NULL when streaming is not possible).
extern __thread const cperl_stream_callbacks *cperl_current_stream;
/// Receiver of tied STDOUT/STDERR output (cperl_capture_output); one per process.
extern cperl_output_fn cperl_output_fn_;
extern void *cperl_output_context;

/// Largest nesting the JSON codec accepts (decode and encode); deeper input is a clear error,
/// never a stack overflow.
#define CPJ_MAX_DEPTH 1024

/// Decodes UTF-8 JSON text into a new SV (refcount 1) following JSON::XS's decode_json:
/// any top-level value, strings as character strings, true/false as JSON::PP::Boolean objects,
/// integers as IV (NV when too large), others as NV. Returns NULL and a message in `err` on bad input.
SV *cpj_decode(pTHX_ const char *json, size_t len, cperl_buf *err);

/// Encodes `sv` as UTF-8 JSON, appending to `out`, following JSON::XS's encode_json type rules
/// (string vs number by flags; booleans; TO_JSON). Returns 0, or -1 with a message in `err`.
int cpj_encode(pTHX_ SV *sv, cperl_buf *out, cperl_buf *err);

/// Registers PerlLambda::JSON::encode_json / decode_json (XS) and the boolean singletons.
/// Called once per interpreter from the shim's start-up.
void cpj_boot(pTHX);

#endif
