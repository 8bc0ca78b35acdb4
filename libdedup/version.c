/*
 * version.c - the runtime version, so that an application can check that
 * the header it was compiled with matches the library it runs with.
 */
#include "common.h"

unsigned dedup_version_number(void)
{
    return DEDUP_VERSION_NUMBER;
}

const char *dedup_version_string(void)
{
    return DEDUP_VERSION_STRING;
}
