#ifndef CIMAGEFILES_H
#define CIMAGEFILES_H
#include <stddef.h>

/// A file of images/ compiled into perl-lambda (see image_files.c).
typedef struct cimage_file {
    const char *name; ///< its name under images/, e.g. "base.Dockerfile"
    const char *bytes;
    size_t len;
} cimage_file;

/// The file called `name`, or NULL.
const cimage_file *cimage_file_named(const char *name);

#endif
