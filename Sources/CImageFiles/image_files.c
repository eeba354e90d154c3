// The files `perl-lambda image build` needs to build perl-lambda:base and perl-lambda:build on an engine that
// has neither, compiled in with #embed so an installed perl-lambda needs no checkout and images/ stays their
// only copy (images/build.sh uses the same files).
#include <string.h>
#include "CImageFiles.h"

#pragma clang diagnostic ignored "-Wc23-extensions"

static const char base_dockerfile[] = {
#embed "../../images/base.Dockerfile"
};
static const char build_dockerfile[] = {
#embed "../../images/build.Dockerfile"
};
static const char lambda_entrypoint[] = {
#embed "../../images/lambda-entrypoint.sh"
};

static const cimage_file files[] = {
    {"base.Dockerfile", base_dockerfile, sizeof base_dockerfile},
    {"build.Dockerfile", build_dockerfile, sizeof build_dockerfile},
    {"lambda-entrypoint.sh", lambda_entrypoint, sizeof lambda_entrypoint},
};

const cimage_file *cimage_file_named(const char *name) {
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (strcmp(files[i].name, name) == 0) return &files[i];
    }
    return NULL;
}
