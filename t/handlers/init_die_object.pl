use strict;
use warnings;

package My::InitError {
    use overload '""' => sub { "My::InitError: $_[0]{message}" }, fallback => 1;
}

die bless { message => 'init object failure' }, 'My::InitError';

1;
