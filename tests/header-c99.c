/* Compiled with -std=c99 -pedantic -Werror: the public header must be
 * usable from strict C99. */
#include "dedup.h"

int main(void)
{
    return dedup_version_number() == DEDUP_VERSION_NUMBER ? 0 : 1;
}
