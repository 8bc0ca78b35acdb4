/*
 * test-api.c - the public API as an application sees it, linked against the
 * shared library only: versions, status codes and messages, parameters
 * (defaults, bounds, types, names), argument checking, and the one-shot
 * similarity call.
 */
#include <math.h>
#include <string.h>

#include "dedup.h"
#include "tap.h"

static void versions(void)
{
    ok(dedup_version_number() == DEDUP_VERSION_NUMBER, "runtime version number matches header");
    ok(strcmp(dedup_version_string(), DEDUP_VERSION_STRING) == 0,
       "runtime version string matches header");
}

static void statuses(void)
{
    int good = 1;
    for (int s = 0; s > DEDUP__STATUS_LAST; s--)
        good &= dedup_strerror(s) != NULL && strcmp(dedup_strerror(s), "unknown error") != 0 &&
                strncmp(dedup_status_name(s), "DEDUP_", 6) == 0;
    ok(good, "every status code has a message and a name");
    ok(strcmp(dedup_strerror(-9999), "unknown error") == 0 && dedup_strerror(12345) != NULL,
       "unknown codes give a message, never NULL");
    ok(strcmp(dedup_status_name(DEDUP_E_NOMEM), "DEDUP_E_NOMEM") == 0, "status names");
    ok(DEDUP_OK == 0 && DEDUP_E_NOMEM < 0 && DEDUP_E_STATE < 0, "failures are negative");
}

static void params(void)
{
    dedup_params *p = NULL;
    ok(dedup_params_create(&p) == DEDUP_OK && p, "params create");
    int64_t v = 0;
    double d = 0;
    ok(dedup_params_get(p, DEDUP_P_NUM_HASHES, &v) == DEDUP_OK && v == 128, "default k is 128");
    ok(dedup_params_get(p, DEDUP_P_SHINGLE_SIZE, &v) == DEDUP_OK && v == 4,
       "default word shingle size is 4");
    ok(dedup_params_get_real(p, DEDUP_P_THRESHOLD, &d) == DEDUP_OK && d == 0.45,
       "default threshold is 0.45");
    ok(dedup_params_set(p, DEDUP_P_NUM_HASHES, 15) == DEDUP_E_RANGE &&
           dedup_params_set(p, DEDUP_P_NUM_HASHES, 1025) == DEDUP_E_RANGE,
       "k outside [16, 1024] is out of range");
    ok(dedup_params_get(p, DEDUP_P_NUM_HASHES, &v) == DEDUP_OK && v == 128,
       "a rejected value leaves the params unchanged");
    ok(dedup_params_set(p, DEDUP_P_NUM_HASHES, 256) == DEDUP_OK &&
           dedup_params_get(p, DEDUP_P_NUM_HASHES, &v) == DEDUP_OK && v == 256,
       "set and get k");
    ok(dedup_params_set_real(p, DEDUP_P_THRESHOLD, 0.0) == DEDUP_E_RANGE &&
           dedup_params_set_real(p, DEDUP_P_THRESHOLD, 1.5) == DEDUP_E_RANGE &&
           dedup_params_set_real(p, DEDUP_P_THRESHOLD, NAN) == DEDUP_E_RANGE,
       "threshold 0, above 1 and NaN are out of range");
    ok(dedup_params_set(p, DEDUP_P_THRESHOLD, 1) == DEDUP_E_INVAL &&
           dedup_params_set_real(p, DEDUP_P_SEED, 1.0) == DEDUP_E_INVAL,
       "wrong key type is an invalid argument");
    ok(dedup_params_set(p, (dedup_param)999, 1) == DEDUP_E_INVAL, "unknown key");
    ok(dedup_params_set(p, DEDUP_P_NORMALIZE, 1 << 10) == DEDUP_E_RANGE, "unknown flag bits");
    ok(dedup_params_set(p, DEDUP_P_SEED, INT64_MIN) == DEDUP_OK, "any 64-bit seed");
    int64_t lo, hi;
    double rlo, rhi;
    ok(dedup_param_bounds(DEDUP_P_SHINGLE_SIZE, &lo, &hi) == DEDUP_OK && lo == 1 && hi == 16,
       "bounds of shingle size");
    ok(dedup_param_bounds_real(DEDUP_P_THRESHOLD, &rlo, &rhi) == DEDUP_OK && rlo > 0 &&
           rhi == 1.0,
       "bounds of threshold");
    ok(dedup_param_type_of(DEDUP_P_THRESHOLD) == DEDUP_PARAM_REAL &&
           dedup_param_type_of(DEDUP_P_SEED) == DEDUP_PARAM_INT &&
           dedup_param_type_of((dedup_param)0) == DEDUP_PARAM_INVALID,
       "key types");
    dedup_param key;
    ok(dedup_param_from_name("num_hashes", &key) == DEDUP_OK && key == DEDUP_P_NUM_HASHES &&
           strcmp(dedup_param_name(DEDUP_P_NUM_HASHES), "num_hashes") == 0,
       "names round trip");
    ok(dedup_param_from_name("nope", &key) == DEDUP_E_INVAL && !dedup_param_name((dedup_param)77),
       "unknown names");
    dedup_params *c = NULL;
    ok(dedup_params_copy(&c, p) == DEDUP_OK && dedup_params_get(c, DEDUP_P_NUM_HASHES, &v) == 0 &&
           v == 256,
       "copy keeps values");
    dedup_params_free(c);
    dedup_params_free(p);
    dedup_params_free(NULL);
    ok(dedup_params_create(NULL) == DEDUP_E_INVAL, "NULL out pointer");
}

static void hasher_args(void)
{
    dedup_hasher *h = NULL;
    ok(dedup_hasher_create(&h, NULL) == DEDUP_OK, "hasher with default params");
    const char *out;
    size_t n;
    ok(dedup_hasher_normalize(h, NULL, 5, &out, &n) == DEDUP_E_INVAL,
       "NULL text with a length is refused");
    ok(dedup_hasher_normalize(h, NULL, 0, &out, &n) == DEDUP_OK && n == 0,
       "NULL text of length 0 is the empty text");
    dedup_params *p;
    dedup_params_create(&p);
    dedup_params_set(p, DEDUP_P_NUM_HASHES, 64);
    dedup_signature *sig;
    dedup_signature_create(&sig, p);
    ok(dedup_hasher_sign(h, "text", 4, sig) == DEDUP_E_MISMATCH,
       "signing into a signature of other params is a mismatch");
    dedup_signature_free(sig);
    dedup_params_free(p);
    dedup_hasher_free(h);
    dedup_hasher_free(NULL);
}

static void one_shot(void)
{
    const char *a = "The central bank kept its benchmark interest rate unchanged at 3.5 percent "
                    "on Thursday, citing slowing inflation and weak exports.";
    const char *b = "SEOUL, Dec 7 (Yonhap) -- The central bank kept its benchmark interest rate "
                    "unchanged at 3.5 percent on Thursday, citing slowing inflation and weak "
                    "exports. ALSO READ: Weather";
    const char *c = "Heavy snow is expected across the mountains this weekend, forecasters "
                    "warned, with temperatures dropping well below freezing.";
    double s = -1;
    ok(dedup_similarity(NULL, a, strlen(a), a, strlen(a), &s) == DEDUP_OK && s == 1.0,
       "a text is identical to itself (%.3f)", s);
    ok(dedup_similarity(NULL, a, strlen(a), b, strlen(b), &s) == DEDUP_OK && s >= 0.5,
       "a syndicated copy with credit and boilerplate is a duplicate (%.3f)", s);
    ok(dedup_similarity(NULL, a, strlen(a), c, strlen(c), &s) == DEDUP_OK && s < 0.1,
       "an unrelated text is not (%.3f)", s);
    ok(dedup_similarity(NULL, "", 0, "", 0, &s) == DEDUP_OK && s == 0.0,
       "two empty texts are not similar");
    ok(dedup_similarity(NULL, "...", 3, "!!!", 3, &s) == DEDUP_OK && s == 0.0,
       "two punctuation-only texts are not similar");
}

static void lsh_choice(void)
{
    unsigned b = 0, r = 0;
    ok(dedup_lsh_choose(0.5, 128, 0.5, 0.5, &b, &r) == DEDUP_OK && b * r <= 128 && b > 1 && r > 1,
       "bands and rows for t=0.5, k=128: %u x %u", b, r);
    double t = pow(1.0 / b, 1.0 / r);
    ok(fabs(t - 0.5) < 0.15, "their S-curve midpoint (1/b)^(1/r) = %.3f is near 0.5", t);
    unsigned b2, r2;
    dedup_lsh_choose(0.8, 128, 0.5, 0.5, &b2, &r2);
    ok(r2 > r, "a higher threshold takes more rows per band (%u > %u)", r2, r);
    ok(dedup_lsh_choose(0.0, 128, 0.5, 0.5, &b, &r) == DEDUP_E_INVAL, "threshold 0 is refused");
    dedup_params *p;
    dedup_params_create(&p);
    ok(dedup_params_lsh(p, &b, &r) == DEDUP_OK && b == 37 && r == 2,
       "defaults derive 37 bands of 2 rows (%u x %u)", b, r);
    dedup_params_set(p, DEDUP_P_MEASURE, DEDUP_MEASURE_JACCARD);
    dedup_params_set_real(p, DEDUP_P_THRESHOLD, 0.5);
    dedup_lsh_choose(0.5, 128, 0.5, 0.5, &b2, &r2);
    ok(dedup_params_lsh(p, &b, &r) == DEDUP_OK && b == b2 && r == r2,
       "under Jaccard the threshold itself is used");
    dedup_params_set(p, DEDUP_P_BANDS, 16);
    dedup_params_set(p, DEDUP_P_ROWS, 8);
    ok(dedup_params_lsh(p, &b, &r) == DEDUP_OK && b == 16 && r == 8, "explicit bands and rows");
    dedup_params_free(p);
}

int main(void)
{
    versions();
    statuses();
    params();
    hasher_args();
    one_shot();
    lsh_choice();
    return tap_done();
}
