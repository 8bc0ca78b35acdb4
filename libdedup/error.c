/*
 * error.c - status codes to text. Both tables come from DEDUP_STATUS_MAP in
 * dedup.h, so codes, names and messages cannot drift apart.
 */
#include "common.h"

const char *dedup_strerror(int status)
{
    switch (status) {
#define DEDUP__STATUS_TEXT(name, value, text) \
    case value:                               \
        return text;
        DEDUP_STATUS_MAP(DEDUP__STATUS_TEXT)
#undef DEDUP__STATUS_TEXT
    default:
        return "unknown error";
    }
}

const char *dedup_status_name(int status)
{
    switch (status) {
#define DEDUP__STATUS_NAME(name, value, text) \
    case value:                               \
        return "DEDUP_" #name;
        DEDUP_STATUS_MAP(DEDUP__STATUS_NAME)
#undef DEDUP__STATUS_NAME
    default:
        return "DEDUP_E_UNKNOWN";
    }
}
