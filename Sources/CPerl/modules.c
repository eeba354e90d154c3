// The Perl modules the runtime provides itself, compiled into the binary with #embed so that
// `use AWS::Lambda;` works with nothing installed. Their sources live in perl/lib and perl/runtime.
#include <stddef.h>
#include <string.h>
#include "cperl_modules.h"

#pragma clang diagnostic ignored "-Wc23-extensions"


static const char aws_lambda[] = {
#embed "../../perl/lib/AWS/Lambda.pm"
};
static const char aws_lambda_context[] = {
#embed "../../perl/lib/AWS/Lambda/Context.pm"
};
static const char aws_lambda_response_writer[] = {
#embed "../../perl/lib/AWS/Lambda/ResponseWriter.pm"
};
static const char aws_lambda_psgi[] = {
#embed "../../perl/lib/AWS/Lambda/PSGI.pm"
};
// AWS::Lambda's entry point for Dockerfiles that run `perl -MAWS::Lambda::Bootstrap`; embedded so that a handler's
// `use AWS::Lambda::Bootstrap` inside this bootstrap loads it, not another copy with prerequisites, and is harmless
static const char aws_lambda_bootstrap[] = {
#embed "../../perl/lib/AWS/Lambda/Bootstrap.pm"
};
static const char perl_lambda_host[] = {
#embed "../../perl/runtime/PerlLambda/Host.pm"
};

static const cperl_module modules[] = {
    {"AWS/Lambda.pm", aws_lambda, sizeof aws_lambda},
    {"AWS/Lambda/Context.pm", aws_lambda_context, sizeof aws_lambda_context},
    {"AWS/Lambda/ResponseWriter.pm", aws_lambda_response_writer, sizeof aws_lambda_response_writer},
    {"AWS/Lambda/PSGI.pm", aws_lambda_psgi, sizeof aws_lambda_psgi},
    {"AWS/Lambda/Bootstrap.pm", aws_lambda_bootstrap, sizeof aws_lambda_bootstrap},
    {"PerlLambda/Host.pm", perl_lambda_host, sizeof perl_lambda_host},
};

const cperl_module *cperl_find_module(const char *name, size_t len) {
    for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
        if (strlen(modules[i].name) == len && memcmp(modules[i].name, name, len) == 0) return &modules[i];
    }
    return NULL;
}
