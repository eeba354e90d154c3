// The XS functions the Perl half of the runtime (perl/runtime/PerlLambda/Host.pm and the embedded
// modules) calls: embedded module sources, blessed(), response streaming, tied output; the PSGI env of
// AWS::Lambda::PSGI is registered from psgi_env.c.
#include "cperl_internal.h"
#include "cperl_modules.h"

EXTERN_C void boot_DynaLoader(pTHX_ CV *cv);

/// Receiver of tied STDOUT/STDERR output (see cperl_capture_output); one per process.
cperl_output_fn cperl_output_fn_;
void *cperl_output_context;

/// The interpreter currently streaming, its callbacks (one invocation at a time per thread).
__thread const cperl_stream_callbacks *cperl_current_stream;

XS(xs_embedded) {
    dXSARGS;
    if (items != 1) croak_xs_usage(cv, "name");
    STRLEN len;
    const char *name = SvPV(ST(0), len);
    const cperl_module *m = cperl_find_module(name, len);
    ST(0) = m ? sv_2mortal(newSVpvn(m->source, (STRLEN)(m->end - m->source))) : &PL_sv_undef;
    XSRETURN(1);
}

XS(xs_blessed) {
    dXSARGS;
    if (items != 1) croak_xs_usage(cv, "value");
    SV *sv = ST(0);
    SvGETMAGIC(sv);
    ST(0) = SvROK(sv) && SvOBJECT(SvRV(sv))
        ? sv_2mortal(newSVpv(sv_reftype(SvRV(sv), TRUE), 0)) : &PL_sv_undef;
    XSRETURN(1);
}

XS(xs_boot) {
    dXSARGS;
    PERL_UNUSED_VAR(items);
    cpj_boot(aTHX);
    XSRETURN_EMPTY;
}

XS(xs_stream_start) {
    dXSARGS;
    if (items != 1) croak_xs_usage(cv, "content_type");
    if (!cperl_current_stream) croak("response streaming is not available here");
    STRLEN len;
    const char *ct = SvPV(ST(0), len);
    if (cperl_current_stream->start(cperl_current_stream->context, ct, len) != 0) croak("response stream could not start");
    XSRETURN_YES;
}

XS(xs_stream_write) {
    dXSARGS;
    if (items != 1) croak_xs_usage(cv, "bytes");
    if (!cperl_current_stream) croak("response streaming is not available here");
    STRLEN len;
    SV *data = ST(0);
    if (SvUTF8(data)) {
        data = sv_2mortal(newSVsv(data));
        if (!sv_utf8_downgrade(data, TRUE)) croak("Wide character in response stream write");
    }
    const char *bytes = SvPV(data, len);
    if (cperl_current_stream->write(cperl_current_stream->context, bytes, len) != 0) croak("response stream write failed: the connection is gone");
    XSRETURN_YES;
}

// _document($type, $message, \@frames) → the error document's JSON text (bytes), written by ErrorDocument.
XS(xs_document) {
    dXSARGS;
    if (items != 3) croak_xs_usage(cv, "type, message, frames");
    AV *frames = SvROK(ST(2)) && SvTYPE(SvRV(ST(2))) == SVt_PVAV ? (AV *)SvRV(ST(2)) : NULL;
    cperl_buf out = {0};
    cperl_write_document(aTHX_ &out, ST(0), ST(1), frames);
    SV *json = newSVpvn(out.data ? out.data : "", out.len);
    cperl_buf_free(&out);
    ST(0) = sv_2mortal(json);
    XSRETURN(1);
}

XS(xs_stream_finish) {
    dXSARGS;
    if (items != 0 && items != 2) croak_xs_usage(cv, "[error_type, error_body]");
    if (!cperl_current_stream) croak("response streaming is not available here");
    const char *type = NULL, *body = NULL;
    STRLEN body_len = 0;
    if (items == 2) {
        type = SvPV_nolen(ST(0));
        body = SvPV(ST(1), body_len);
    }
    int rc = cperl_current_stream->finish(cperl_current_stream->context, type, body, body_len);
    ST(0) = rc == 0 ? &PL_sv_yes : &PL_sv_no;
    XSRETURN(1);
}

XS(xs_output) {
    dXSARGS;
    if (items != 2) croak_xs_usage(cv, "fd, text");
    int fd = (int)SvIV(ST(0));
    STRLEN len;
    const char *bytes = SvPVutf8(ST(1), len);
    if (cperl_output_fn_) cperl_output_fn_(cperl_output_context, fd, bytes, len);
    XSRETURN_YES;
}

void cperl_xs_init(pTHX) {
    static const char file[] = __FILE__;
    dXSUB_SYS;
    newXS("DynaLoader::boot_DynaLoader", boot_DynaLoader, file);
    newXS("PerlLambda::Host::_embedded", xs_embedded, file);
    newXS("PerlLambda::Host::_boot", xs_boot, file);
    newXS("PerlLambda::Host::_blessed", xs_blessed, file);
    newXS("PerlLambda::Host::_output", xs_output, file);
    newXS("PerlLambda::Host::_stream_start", xs_stream_start, file);
    newXS("PerlLambda::Host::_stream_write", xs_stream_write, file);
    newXS("PerlLambda::Host::_stream_finish", xs_stream_finish, file);
    newXS("PerlLambda::Host::_document", xs_document, file);
    cperl_psgi_env_init(aTHX);
    HV *host = gv_stashpvs("PerlLambda::Host", GV_ADD);
    newCONSTSUB(host, "RESULT", newSViv(CPERL_KIND_RESULT));
    newCONSTSUB(host, "ERROR", newSViv(CPERL_KIND_ERROR));
    newCONSTSUB(host, "STREAMED", newSViv(CPERL_KIND_STREAMED));
}

