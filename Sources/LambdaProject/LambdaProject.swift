/// Function projects on disk: scaffolding (`perl-lambda init`), SAM templates, zip/layer packages and
/// container images. Each concern lives in its own file of this module.
public enum LambdaProject {}
