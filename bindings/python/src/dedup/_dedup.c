/*
 * _dedup.c - the CPython extension under the dedup package: signatures,
 * hashers, the index (by key and by text), batch clustering, and its
 * stages as calls on bytes for dedup.dask, on the library's public API
 * and the Python limited API (3.10).
 *
 * Errors: a library status becomes an exception of dedup's hierarchy with
 * the library's message (status_error). Parameters come as keyword
 * arguments named as the library names them (dedup_param_from_name).
 *
 * Threads: work on text and the index runs with the GIL released. An
 * Index holds a read-write lock: queries share it (the library allows any
 * number of queries on an index nobody modifies), changes take it alone.
 */
#define PY_SSIZE_T_CLEAN
#define Py_LIMITED_API 0x030A0000
#define DEDUP_EXPERIMENTAL /* line hashes, and the stages of batch clustering */
#include <Python.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>

#include "dedup.h"
#ifdef HAVE_ZSTD
#include <zstd.h>
#endif

/* ============================================================= errors */

typedef struct {
    PyObject *error, *format_error, *param_error, *key_error, *io_error, *mismatch_error;
    PyObject *signature_type, *hasher_type, *index_type;
} module_state;

static module_state *state_of(PyObject *module)
{
    return (module_state *)PyModule_GetState(module);
}

/* The module's state, for the methods of its types (the limited API has
 * no way from a type to its module that also works for subclasses). The
 * module is loaded once per process. */
static module_state *g_state;

static module_state *state_from_type(PyTypeObject *t)
{
    (void)t;
    return g_state;
}

/* Raise the exception for status rc (with what, if given, before the
 * library's message). Returns NULL. */
static PyObject *status_error(module_state *st, int rc, const char *what)
{
    PyObject *cls;
    switch (rc) {
    case DEDUP_E_NOMEM:
        return PyErr_NoMemory();
    case DEDUP_E_INVAL:
    case DEDUP_E_RANGE:
        cls = st->param_error;
        break;
    case DEDUP_E_NOTFOUND:
    case DEDUP_E_EXISTS:
        cls = st->key_error;
        break;
    case DEDUP_E_IO:
        cls = st->io_error;
        break;
    case DEDUP_E_FORMAT:
    case DEDUP_E_VERSION:
    case DEDUP_E_CHECKSUM:
    case DEDUP_E_TRUNCATED:
        cls = st->format_error;
        break;
    case DEDUP_E_MISMATCH:
        cls = st->mismatch_error;
        break;
    default:
        cls = st->error;
    }
    PyObject *msg = what ? PyUnicode_FromFormat("%s: %s", what, dedup_strerror(rc))
                         : PyUnicode_FromString(dedup_strerror(rc));
    PyObject *exc = msg ? PyObject_CallFunctionObjArgs(cls, msg, NULL) : NULL;
    Py_XDECREF(msg);
    if (exc) {
        /* the library's status code, as e.status */
        PyObject *code = PyLong_FromLong(rc);
        if (code) {
            PyObject_SetAttrString(exc, "status", code);
            Py_DECREF(code);
        }
        PyErr_SetObject(cls, exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/* ========================================================= parameters */

/* Parameters from keyword arguments (those whose names are library
 * parameters; the names in skip are left for the caller). New params, or
 * NULL with an exception set. */
static dedup_params *params_from(module_state *st, PyObject *kwargs, const char *const *skip)
{
    dedup_params *p;
    int rc = dedup_params_create(&p);
    if (rc) {
        status_error(st, rc, NULL);
        return NULL;
    }
    if (!kwargs)
        return p;
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(kwargs, &pos, &key, &value)) {
        const char *name = PyUnicode_AsUTF8AndSize(key, NULL);
        if (!name)
            goto fail;
        int skipped = 0;
        for (const char *const *s = skip; s && *s; s++)
            skipped |= !strcmp(*s, name);
        if (skipped)
            continue;
        dedup_param k;
        if (dedup_param_from_name(name, &k)) {
            PyErr_Format(PyExc_TypeError, "unknown parameter '%s'", name);
            goto fail;
        }
        if (dedup_param_type_of(k) == DEDUP_PARAM_REAL) {
            double d = PyFloat_AsDouble(value);
            if (d == -1.0 && PyErr_Occurred())
                goto fail;
            rc = dedup_params_set_real(p, k, d);
        } else {
            if (PyBool_Check(value) || !PyLong_Check(value)) {
                if (!PyBool_Check(value)) {
                    PyErr_Format(PyExc_TypeError, "parameter '%s' takes an integer", name);
                    goto fail;
                }
            }
            long long v = PyLong_AsLongLong(value);
            if (v == -1 && PyErr_Occurred())
                goto fail;
            rc = dedup_params_set(p, k, (int64_t)v);
        }
        if (rc) {
            int64_t lo = 0, hi = 0;
            double rlo = 0, rhi = 0;
            char what[160];
            if (dedup_param_type_of(k) == DEDUP_PARAM_REAL &&
                !dedup_param_bounds_real(k, &rlo, &rhi))
                snprintf(what, sizeof what, "parameter %s (%g to %g)", name, rlo, rhi);
            else if (!dedup_param_bounds(k, &lo, &hi))
                snprintf(what, sizeof what, "parameter %s (%lld to %lld)", name, (long long)lo,
                         (long long)hi);
            else
                snprintf(what, sizeof what, "parameter %s", name);
            status_error(st, rc, what);
            goto fail;
        }
    }
    return p;
fail:
    dedup_params_free(p);
    return NULL;
}

/* The boilerplate keyword: 0 (off), or a threshold of at least 2. -1 with
 * an exception set if bad. */
static long boilerplate_from(module_state *st, PyObject *kwargs, long dflt)
{
    PyObject *v = kwargs ? PyDict_GetItemString(kwargs, "boilerplate") : NULL;
    if (!v || v == Py_None)
        return v == Py_None ? 0 : dflt;
    if (v == Py_False)
        return 0;
    long b = PyLong_AsLong(v);
    if (b == -1 && PyErr_Occurred())
        return -1;
    if (b < 0 || b == 1 || b > 65535) {
        PyErr_SetString(st->param_error, "boilerplate: 0 (off) or a count of 2 to 65535");
        return -1;
    }
    return b;
}

/* ============================================================== texts */

/* A document's text as fields: a str or bytes (UTF-8), or a sequence of
 * them or None (title, body...). Pointers into the objects (kept alive by
 * the caller). */
typedef struct {
    dedup_field local[4];
    dedup_field *f;
    size_t n;
} fields;

static void fields_free(fields *x)
{
    if (x->f != x->local)
        PyMem_Free(x->f);
}

/* The UTF-8 bytes of a str or bytes object into f. 0, or -1 with an
 * exception set. */
static int field_of(PyObject *o, dedup_field *f)
{
    Py_ssize_t len;
    char *b;
    if (PyBytes_Check(o)) {
        if (PyBytes_AsStringAndSize(o, &b, &len))
            return -1;
        f->text = b;
    } else if (!(f->text = PyUnicode_AsUTF8AndSize(o, &len))) {
        return -1;
    }
    f->len = (size_t)len;
    return 0;
}

static int fields_from(PyObject *text, fields *x)
{
    x->f = x->local;
    x->n = 0;
    if (PyUnicode_Check(text) || PyBytes_Check(text)) {
        if (field_of(text, &x->local[0]))
            return -1;
        x->n = 1;
        return 0;
    }
    if (!PySequence_Check(text)) {
        PyErr_SetString(PyExc_TypeError,
                        "a text is a str or bytes (UTF-8), or a sequence of them or None fields");
        return -1;
    }
    Py_ssize_t n = PySequence_Size(text);
    if (n < 0)
        return -1;
    if (n > 4 && !(x->f = PyMem_Malloc((size_t)n * sizeof *x->f))) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_GetItem(text, i);
        if (!item)
            goto fail;
        if (item == Py_None) {
            x->f[i].text = NULL;
            x->f[i].len = 0;
        } else if (PyUnicode_Check(item) || PyBytes_Check(item)) {
            /* The UTF-8 form is cached in a str, which the sequence keeps
             * alive, as it keeps a bytes. */
            if (field_of(item, &x->f[i])) {
                Py_DECREF(item);
                goto fail;
            }
        } else {
            Py_DECREF(item);
            PyErr_SetString(PyExc_TypeError, "a field is a str, bytes (UTF-8) or None");
            goto fail;
        }
        Py_DECREF(item);
    }
    x->n = (size_t)n;
    return 0;
fail:
    fields_free(x);
    return -1;
}

/* ========================================================== Signature */

typedef struct {
    PyObject_HEAD
    dedup_signature *sig;
    dedup_params *params;
} SignatureObject;

static PyObject *signature_wrap(PyTypeObject *type, dedup_signature *sig, const dedup_params *p)
{
    SignatureObject *o = (SignatureObject *)PyType_GenericAlloc(type, 0);
    if (!o) {
        dedup_signature_free(sig);
        return NULL;
    }
    o->sig = sig;
    if (p && dedup_params_copy(&o->params, p)) {
        Py_DECREF(o);
        return PyErr_NoMemory();
    }
    return (PyObject *)o;
}

static void signature_dealloc(PyObject *self)
{
    SignatureObject *o = (SignatureObject *)self;
    PyTypeObject *t = Py_TYPE(self);
    dedup_signature_free(o->sig);
    dedup_params_free(o->params);
    freefunc f = (freefunc)PyType_GetSlot(t, Py_tp_free);
    f(self);
    Py_DECREF(t);
}

/* Compare with another signature: the measure of this signature's hasher
 * (jaccard 0) or the plain Jaccard estimate (jaccard 1). */
static PyObject *signature_compare(PyObject *self, PyObject *other, int jaccard)
{
    module_state *st = state_from_type(Py_TYPE(self));
    if (!PyObject_TypeCheck(other, (PyTypeObject *)st->signature_type)) {
        PyErr_SetString(PyExc_TypeError, "a Signature is needed");
        return NULL;
    }
    SignatureObject *a = (SignatureObject *)self, *b = (SignatureObject *)other;
    double s;
    int rc = jaccard ? dedup_signature_jaccard(a->sig, b->sig, &s)
                     : dedup_signature_similarity(a->params, a->sig, b->sig, &s);
    return rc ? status_error(st, rc, NULL) : PyFloat_FromDouble(s);
}

static PyObject *signature_similarity(PyObject *self, PyObject *other)
{
    return signature_compare(self, other, 0);
}

static PyObject *signature_jaccard(PyObject *self, PyObject *other)
{
    return signature_compare(self, other, 1);
}

static PyObject *signature_to_bytes(PyObject *self, PyObject *unused)
{
    SignatureObject *o = (SignatureObject *)self;
    size_t n = dedup_signature_serialized_size(o->sig), w = 0;
    PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
    if (!b)
        return NULL;
    int rc = dedup_signature_serialize(o->sig, PyBytes_AsString(b), n, &w);
    if (rc) {
        Py_DECREF(b);
        return status_error(state_from_type(Py_TYPE(self)), rc, NULL);
    }
    return b;
}

static PyObject *signature_from_bytes(PyObject *cls, PyObject *arg)
{
    module_state *st = state_from_type((PyTypeObject *)cls);
    char *data;
    Py_ssize_t len;
    if (PyBytes_AsStringAndSize(arg, &data, &len))
        return NULL;
    dedup_signature *sig;
    int rc = dedup_signature_deserialize(&sig, data, (size_t)len);
    if (rc)
        return status_error(st, rc, NULL);
    return signature_wrap((PyTypeObject *)cls, sig, NULL);
}

static PyObject *signature_values(PyObject *self, PyObject *unused)
{
    SignatureObject *o = (SignatureObject *)self;
    size_t k = dedup_signature_length(o->sig);
    const uint32_t *v = dedup_signature_values(o->sig);
    PyObject *list = PyList_New((Py_ssize_t)k);
    for (size_t i = 0; list && i < k; i++) {
        PyObject *x = PyLong_FromUnsignedLong(v[i]);
        if (!x) {
            Py_CLEAR(list);
            break;
        }
        PyList_SetItem(list, (Py_ssize_t)i, x);
    }
    return list;
}

static PyObject *signature_set_size(PyObject *self, void *unused)
{
    return PyLong_FromUnsignedLongLong(dedup_signature_set_size(((SignatureObject *)self)->sig));
}

static Py_ssize_t signature_len(PyObject *self)
{
    return (Py_ssize_t)dedup_signature_length(((SignatureObject *)self)->sig);
}

static PyMethodDef signature_methods[] = {
    {"similarity", signature_similarity, METH_O,
     "similarity(other) -> float: the similarity the library's measure gives (the\n"
     "parameters of this signature's hasher)"},
    {"jaccard", signature_jaccard, METH_O, "jaccard(other) -> float: estimated Jaccard"},
    {"to_bytes", signature_to_bytes, METH_NOARGS, "the serialized signature"},
    {"from_bytes", signature_from_bytes, METH_O | METH_CLASS,
     "from_bytes(data) -> Signature: a serialized signature"},
    {"values", signature_values, METH_NOARGS, "the k MinHash values, as a list"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef signature_getset[] = {
    {"set_size", signature_set_size, NULL, "number of distinct shingles of the text", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot signature_slots[] = {
    {Py_tp_dealloc, signature_dealloc},
    {Py_tp_methods, signature_methods},
    {Py_tp_getset, signature_getset},
    {Py_sq_length, signature_len},
    {Py_tp_doc, "A MinHash signature (made by Hasher.signature or dedup.signature)."},
    {0, NULL},
};

static PyType_Spec signature_spec = {"dedup._dedup.Signature", sizeof(SignatureObject), 0,
                                     Py_TPFLAGS_DEFAULT, signature_slots};

/* ============================================================= Hasher */

typedef struct {
    PyObject_HEAD
    dedup_hasher *h;
    dedup_params *params;
    pthread_mutex_t mu; /* one signing at a time: a hasher is not shared */
} HasherObject;

static int hasher_init(PyObject *self, PyObject *args, PyObject *kwargs)
{
    HasherObject *o = (HasherObject *)self;
    module_state *st = state_from_type(Py_TYPE(self));
    if (PyTuple_Size(args) != 0) {
        PyErr_SetString(PyExc_TypeError, "Hasher() takes keyword parameters only");
        return -1;
    }
    if (o->h)
        return 0;
    if (!(o->params = params_from(st, kwargs, NULL)))
        return -1;
    int rc = dedup_hasher_create(&o->h, o->params);
    if (rc) {
        status_error(st, rc, NULL);
        return -1;
    }
    pthread_mutex_init(&o->mu, NULL);
    return 0;
}

static void hasher_dealloc(PyObject *self)
{
    HasherObject *o = (HasherObject *)self;
    PyTypeObject *t = Py_TYPE(self);
    if (o->h) {
        dedup_hasher_free(o->h);
        pthread_mutex_destroy(&o->mu);
    }
    dedup_params_free(o->params);
    freefunc f = (freefunc)PyType_GetSlot(t, Py_tp_free);
    f(self);
    Py_DECREF(t);
}

static PyObject *hasher_signature(PyObject *self, PyObject *text)
{
    HasherObject *o = (HasherObject *)self;
    module_state *st = state_from_type(Py_TYPE(self));
    if (!o->h) {
        PyErr_SetString(PyExc_RuntimeError, "Hasher not initialized");
        return NULL;
    }
    fields x;
    if (fields_from(text, &x))
        return NULL;
    dedup_signature *sig;
    int rc = dedup_signature_create(&sig, o->params);
    if (!rc) {
        Py_BEGIN_ALLOW_THREADS
        pthread_mutex_lock(&o->mu);
        rc = dedup_hasher_sign_fields(o->h, x.f, x.n, sig);
        pthread_mutex_unlock(&o->mu);
        Py_END_ALLOW_THREADS
    }
    fields_free(&x);
    if (rc) {
        dedup_signature_free(sig);
        return status_error(st, rc, NULL);
    }
    return signature_wrap((PyTypeObject *)st->signature_type, sig, o->params);
}

static PyMethodDef hasher_methods[] = {
    {"signature", hasher_signature, METH_O,
     "signature(text) -> Signature: text is a str, or a sequence of fields (str or\n"
     "None) joined with line breaks as the dedup tool joins title and text"},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot hasher_slots[] = {
    {Py_tp_init, hasher_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, hasher_dealloc},
    {Py_tp_methods, hasher_methods},
    {Py_tp_doc, "Hasher(**params): turns texts into signatures with the given parameters."},
    {0, NULL},
};

static PyType_Spec hasher_spec = {"dedup._dedup.Hasher", sizeof(HasherObject), 0,
                                  Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, hasher_slots};

/* The fields of x joined with line breaks, as dedup_hasher_sign_fields
 * joins them (malloc'd, *len its length), or NULL when out of memory. */
static char *join_fields(const fields *x, size_t *len)
{
    size_t total = 0, at = 0;
    for (size_t k = 0; k < x->n; k++)
        if (x->f[k].text)
            total += x->f[k].len + 1;
    char *t = malloc(total ? total : 1);
    for (size_t k = 0; t && k < x->n; k++)
        if (x->f[k].text) {
            if (at)
                t[at++] = '\n';
            memcpy(t + at, x->f[k].text, x->f[k].len);
            at += x->f[k].len;
        }
    *len = at;
    return t;
}

/* One document's part of an explanation: its counts and what was left
 * out of its text. */
static PyObject *explain_side(const dedup_analysis *an, const char *text, size_t shared_tokens)
{
    size_t n = 0;
    dedup_analysis_left_out(an, NULL, 0, &n);
    dedup_left *l = malloc((n ? n : 1) * sizeof *l);
    PyObject *left = l ? PyList_New(0) : PyErr_NoMemory();
    if (l && left && !dedup_analysis_left_out(an, l, n, &n)) {
        for (size_t i = 0; i < n; i++) {
            PyObject *t = Py_BuildValue(
                "(sN)", l[i].kind == DEDUP_LEFT_QUOTATION ? "quotation" : "line",
                PyUnicode_DecodeUTF8(text + l[i].offset, (Py_ssize_t)l[i].length, "replace"));
            if (!t || PyList_Append(left, t)) {
                Py_XDECREF(t);
                Py_CLEAR(left);
                break;
            }
            Py_DECREF(t);
        }
    }
    free(l);
    if (!left)
        return NULL;
    return Py_BuildValue("{s:n,s:n,s:n,s:N}", "tokens", (Py_ssize_t)dedup_analysis_tokens(an),
                         "shingles", (Py_ssize_t)dedup_analysis_shingles(an), "shared_tokens",
                         (Py_ssize_t)shared_tokens, "left_out", left);
}

/* What an explanation compares: two texts analysed with one hasher. */
typedef struct {
    fields fx[2];
    int nf;
    char *text[2];
    size_t len[2], shared_tokens[2], np, shared;
    dedup_signature *sig[2];
    dedup_analysis *an[2];
    dedup_passage *pa;
    double sim;
    int shorter;
} explain_work;

static void explain_free(explain_work *w)
{
    for (int k = 0; k < w->nf; k++)
        fields_free(&w->fx[k]);
    for (int k = 0; k < 2; k++) {
        free(w->text[k]);
        dedup_signature_free(w->sig[k]);
        dedup_analysis_free(w->an[k]);
    }
    free(w->pa);
}

/* The two texts' fields, joined. 0, or -1 with an exception set. */
static int explain_prepare(explain_work *w, PyObject *a, PyObject *b)
{
    memset(w, 0, sizeof *w);
    if (fields_from(a, &w->fx[0]) || (++w->nf, fields_from(b, &w->fx[1])))
        return -1;
    w->nf++;
    for (int k = 0; k < 2; k++)
        if (!(w->text[k] = join_fields(&w->fx[k], &w->len[k]))) {
            PyErr_NoMemory();
            return -1;
        }
    return 0;
}

/* Sign and analyse both texts with h (parameters p), and find the
 * passages of the shorter that the other shares. A library status; runs
 * without the GIL. */
static int explain_run(explain_work *w, dedup_hasher *h, const dedup_params *p)
{
    int rc = DEDUP_OK;
    for (int k = 0; k < 2 && !rc; k++) {
        rc = dedup_signature_create(&w->sig[k], p);
        if (!rc)
            rc = dedup_hasher_sign(h, w->text[k], w->len[k], w->sig[k]);
        if (!rc)
            rc = dedup_analyse(&w->an[k], h, w->text[k], w->len[k]);
    }
    if (!rc)
        rc = dedup_signature_similarity(p, w->sig[0], w->sig[1], &w->sim);
    if (rc)
        return rc;
    w->shared = dedup_analysis_shared_shingles(w->an[0], w->an[1]);
    for (int k = 0; k < 2 && !rc; k++)
        rc = dedup_analysis_passages(w->an[k], w->an[1 - k], NULL, 0, &w->np,
                                     &w->shared_tokens[k]);
    w->shorter = dedup_analysis_tokens(w->an[0]) <= dedup_analysis_tokens(w->an[1]) ? 0 : 1;
    const dedup_analysis *x = w->an[w->shorter], *y = w->an[1 - w->shorter];
    w->np = 0;
    if (!rc)
        rc = dedup_analysis_passages(x, y, NULL, 0, &w->np, NULL);
    if (!rc && !(w->pa = malloc((w->np ? w->np : 1) * sizeof *w->pa)))
        rc = DEDUP_E_NOMEM;
    if (!rc)
        rc = dedup_analysis_passages(x, y, w->pa, w->np, &w->np, NULL);
    return rc;
}

/* The explanation as a dict (see the package), up to maxp passages. */
static PyObject *explain_result(const explain_work *w, Py_ssize_t maxp, double threshold)
{
    PyObject *passages = PyList_New(0);
    const char *norm = dedup_analysis_normalized(w->an[w->shorter], NULL);
    for (size_t i = 0; passages && i < w->np && i < (size_t)maxp; i++) {
        const dedup_passage *pa = &w->pa[i];
        PyObject *t = Py_BuildValue(
            "(nN)", (Py_ssize_t)pa->tokens,
            PyUnicode_DecodeUTF8(norm + pa->offset, (Py_ssize_t)pa->length, "replace"));
        if (!t || PyList_Append(passages, t))
            Py_CLEAR(passages);
        Py_XDECREF(t);
    }
    PyObject *sa = passages ? explain_side(w->an[0], w->text[0], w->shared_tokens[0]) : NULL;
    PyObject *sb = sa ? explain_side(w->an[1], w->text[1], w->shared_tokens[1]) : NULL;
    if (!sb) {
        Py_XDECREF(passages);
        Py_XDECREF(sa);
        return NULL;
    }
    return Py_BuildValue("{s:d,s:d,s:O,s:n,s:s,s:N,s:[NN]}", "similarity", w->sim,
                         "threshold", threshold,
                         "duplicates", w->sim >= threshold ? Py_True : Py_False,
                         "shared_shingles", (Py_ssize_t)w->shared, "passages_of",
                         w->shorter ? "b" : "a", "passages", passages, "documents", sa, sb);
}

/* The passages keyword: 0 or more, 10 by default. -1 with an exception. */
static Py_ssize_t passages_from(module_state *st, PyObject *kwargs)
{
    Py_ssize_t maxp = 10;
    PyObject *mv = kwargs ? PyDict_GetItemString(kwargs, "passages") : NULL;
    if (mv && ((maxp = PyLong_AsSsize_t(mv)) < 0) && !PyErr_Occurred())
        PyErr_SetString(st->param_error, "passages: 0 or more");
    return maxp;
}

static const char *const explain_skip[] = {"passages", NULL};

/* explain(a, b, passages=10, **params) -> dict: the similarity and the
 * verdict, the shingles both hold, the passages of the shorter that the
 * other shares, and what was left out of each (see the package). */
static PyObject *py_explain(PyObject *module, PyObject *args, PyObject *kwargs)
{
    module_state *st = state_of(module);
    PyObject *ao, *bo;
    Py_ssize_t maxp;
    if (!PyArg_ParseTuple(args, "OO", &ao, &bo) || (maxp = passages_from(st, kwargs)) < 0)
        return NULL;
    dedup_params *p = params_from(st, kwargs, explain_skip);
    if (!p)
        return NULL;
    explain_work w;
    PyObject *result = NULL;
    if (explain_prepare(&w, ao, bo) == 0) {
        dedup_hasher *h = NULL;
        int rc;
        Py_BEGIN_ALLOW_THREADS
        rc = dedup_hasher_create(&h, p);
        if (!rc)
            rc = explain_run(&w, h, p);
        dedup_hasher_free(h);
        Py_END_ALLOW_THREADS
        double threshold = 0;
        dedup_params_get_real(p, DEDUP_P_THRESHOLD, &threshold);
        result = rc ? status_error(st, rc, NULL) : explain_result(&w, maxp, threshold);
    }
    explain_free(&w);
    dedup_params_free(p);
    return result;
}

/* ============================================================== Index */

typedef struct {
    PyObject_HEAD
    dedup_index *idx;
    pthread_rwlock_t lock;
    int64_t next_stamp; /* for documents added without a time */
    int ready;
} IndexObject;

static int visit_stamp(uint64_t id, int64_t stamp, void *p)
{
    int64_t *next = p;
    if (stamp >= *next)
        *next = stamp == INT64_MAX ? INT64_MAX : stamp + 1;
    return 0;
}

static int index_adopt(IndexObject *o, dedup_index *idx)
{
    o->idx = idx;
    o->next_stamp = 0;
    dedup_index_foreach(idx, visit_stamp, &o->next_stamp);
    pthread_rwlock_init(&o->lock, NULL);
    o->ready = 1;
    return 0;
}

static const char *const index_skip[] = {"boilerplate", NULL};

static int index_init(PyObject *self, PyObject *args, PyObject *kwargs)
{
    IndexObject *o = (IndexObject *)self;
    module_state *st = state_from_type(Py_TYPE(self));
    if (PyTuple_Size(args) != 0) {
        PyErr_SetString(PyExc_TypeError, "Index() takes keyword parameters only");
        return -1;
    }
    if (o->ready)
        return 0;
    long b = boilerplate_from(st, kwargs, DEDUP_BOILERPLATE_DEFAULT);
    if (b < 0)
        return -1;
    dedup_params *p = params_from(st, kwargs, index_skip);
    if (!p)
        return -1;
    dedup_index *idx;
    int rc = dedup_index_create(&idx, p);
    dedup_params_free(p);
    if (!rc && b && (rc = dedup_index_set_boilerplate(idx, (uint32_t)b)))
        dedup_index_free(idx);
    if (rc) {
        status_error(st, rc, NULL);
        return -1;
    }
    return index_adopt(o, idx);
}

static void index_dealloc(PyObject *self)
{
    IndexObject *o = (IndexObject *)self;
    PyTypeObject *t = Py_TYPE(self);
    if (o->ready) {
        dedup_index_free(o->idx);
        pthread_rwlock_destroy(&o->lock);
    }
    freefunc f = (freefunc)PyType_GetSlot(t, Py_tp_free);
    f(self);
    Py_DECREF(t);
}

static int index_ready(IndexObject *o)
{
    if (!o->ready) {
        PyErr_SetString(PyExc_RuntimeError, "Index not initialized");
        return 0;
    }
    return 1;
}

/* A match as (key, similarity, id); key None for a document added by
 * number. Called with the lock held (read or write). */
static PyObject *match_tuple(const dedup_index *idx, const dedup_match *m)
{
    size_t len;
    const char *name = dedup_index_name(idx, m->id, &len);
    PyObject *key = name ? PyUnicode_DecodeUTF8(name, (Py_ssize_t)len, "surrogateescape")
                         : (Py_INCREF(Py_None), Py_None);
    if (!key)
        return NULL;
    return Py_BuildValue("NdK", key, m->similarity, (unsigned long long)m->id);
}

static int stamp_from(IndexObject *o, PyObject *time, int64_t *stamp)
{
    if (!time || time == Py_None) {
        *stamp = o->next_stamp;
        return 0;
    }
    long long v = PyLong_AsLongLong(time);
    if (v == -1 && PyErr_Occurred())
        return -1;
    *stamp = (int64_t)v;
    return 0;
}

/* add_unique(key, text, time=None, site=None) -> None (added) or
 * (key, sim, id) */
static PyObject *index_add_common(PyObject *self, PyObject *args, PyObject *kwargs, int unique)
{
    static char *kw[] = {"key", "text", "time", "site", NULL};
    IndexObject *o = (IndexObject *)self;
    module_state *st = state_from_type(Py_TYPE(self));
    const char *key, *site = NULL;
    Py_ssize_t klen, slen = 0;
    PyObject *text, *time = NULL;
    if (!index_ready(o) || !PyArg_ParseTupleAndKeywords(args, kwargs, "s#O|Oz#", kw, &key, &klen,
                                                        &text, &time, &site, &slen))
        return NULL;
    fields x;
    int64_t stamp;
    if (stamp_from(o, time, &stamp) || fields_from(text, &x))
        return NULL;
    int rc, dup = 0;
    dedup_match best;
    PyObject *result = NULL;
    Py_BEGIN_ALLOW_THREADS
    pthread_rwlock_wrlock(&o->lock);
    if (unique) {
        rc = dedup_index_add_text_site(o->idx, site, (size_t)slen, key, (size_t)klen, stamp, x.f,
                                       x.n, &dup, &best, NULL);
    } else {
        /* Added whatever it duplicates: sign as the index does, store. */
        dedup_hasher *h = NULL;
        dedup_signature *sig = NULL;
        rc = dedup_index_hasher(o->idx, &h);
        if (!rc)
            rc = dedup_signature_create(&sig, dedup_index_params(o->idx));
        if (!rc)
            rc = dedup_hasher_set_site(h, site, (size_t)slen);
        if (!rc)
            rc = dedup_hasher_sign_fields(h, x.f, x.n, sig);
        if (!rc)
            rc = dedup_index_add_named(o->idx, key, (size_t)klen, stamp, sig, NULL);
        dedup_signature_free(sig);
        dedup_hasher_free(h);
    }
    if (!rc && !dup && stamp >= o->next_stamp)
        o->next_stamp = stamp == INT64_MAX ? INT64_MAX : stamp + 1;
    pthread_rwlock_unlock(&o->lock);
    Py_END_ALLOW_THREADS
    fields_free(&x);
    if (rc)
        return status_error(st, rc, rc == DEDUP_E_EXISTS ? key : NULL);
    if (!dup)
        Py_RETURN_NONE;
    pthread_rwlock_rdlock(&o->lock);
    result = match_tuple(o->idx, &best);
    pthread_rwlock_unlock(&o->lock);
    return result;
}

static PyObject *index_add_unique(PyObject *self, PyObject *args, PyObject *kwargs)
{
    return index_add_common(self, args, kwargs, 1);
}

static PyObject *index_add(PyObject *self, PyObject *args, PyObject *kwargs)
{
    return index_add_common(self, args, kwargs, 0);
}

/* Index.explain(a, b, passages=10) -> dict: explain as the index compares
 * the two texts, with its parameters and its line statistics. */
static PyObject *index_explain(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"a", "b", "passages", NULL};
    IndexObject *o = (IndexObject *)self;
    module_state *st = state_from_type(Py_TYPE(self));
    PyObject *ao, *bo;
    Py_ssize_t maxp = 10;
    if (!index_ready(o) ||
        !PyArg_ParseTupleAndKeywords(args, kwargs, "OO|n", kw, &ao, &bo, &maxp))
        return NULL;
    if (maxp < 0) {
        PyErr_SetString(st->param_error, "passages: 0 or more");
        return NULL;
    }
    explain_work w;
    PyObject *result = NULL;
    if (explain_prepare(&w, ao, bo) == 0) {
        dedup_hasher *h = NULL;
        double threshold = 0;
        int rc;
        Py_BEGIN_ALLOW_THREADS
        pthread_rwlock_rdlock(&o->lock);
        rc = dedup_index_hasher(o->idx, &h);
        if (!rc)
            rc = explain_run(&w, h, dedup_index_params(o->idx));
        dedup_params_get_real(dedup_index_params(o->idx), DEDUP_P_THRESHOLD, &threshold);
        dedup_hasher_free(h);
        pthread_rwlock_unlock(&o->lock);
        Py_END_ALLOW_THREADS
        result = rc ? status_error(st, rc, NULL) : explain_result(&w, maxp, threshold);
    }
    explain_free(&w);
    return result;
}

static PyObject *index_query(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"text", "limit", NULL};
    IndexObject *o = (IndexObject *)self;
    module_state *st = state_from_type(Py_TYPE(self));
    PyObject *text;
    Py_ssize_t limit = 100;
    if (!index_ready(o) || !PyArg_ParseTupleAndKeywords(args, kwargs, "O|n", kw, &text, &limit))
        return NULL;
    if (limit < 0) {
        PyErr_SetString(PyExc_ValueError, "limit must be at least 0");
        return NULL;
    }
    fields x;
    if (fields_from(text, &x))
        return NULL;
    dedup_match *m = PyMem_Malloc(((size_t)limit + 1) * sizeof *m);
    if (!m) {
        fields_free(&x);
        return PyErr_NoMemory();
    }
    size_t n = 0;
    int rc;
    PyObject *list = NULL;
    Py_BEGIN_ALLOW_THREADS
    pthread_rwlock_rdlock(&o->lock);
    dedup_hasher *h = NULL;
    dedup_signature *sig = NULL;
    rc = dedup_index_hasher(o->idx, &h);
    if (!rc)
        rc = dedup_signature_create(&sig, dedup_index_params(o->idx));
    if (!rc)
        rc = dedup_hasher_sign_fields(h, x.f, x.n, sig);
    if (!rc)
        rc = dedup_index_query(o->idx, sig, m, (size_t)limit, &n);
    dedup_signature_free(sig);
    dedup_hasher_free(h);
    Py_BLOCK_THREADS
    if (!rc) {
        size_t w = n < (size_t)limit ? n : (size_t)limit;
        list = PyList_New((Py_ssize_t)w);
        for (size_t i = 0; list && i < w; i++) {
            PyObject *t = match_tuple(o->idx, &m[i]);
            if (!t) {
                Py_CLEAR(list);
                break;
            }
            PyList_SetItem(list, (Py_ssize_t)i, t);
        }
    }
    Py_UNBLOCK_THREADS
    pthread_rwlock_unlock(&o->lock);
    Py_END_ALLOW_THREADS
    PyMem_Free(m);
    fields_free(&x);
    if (rc)
        return status_error(st, rc, NULL);
    return list;
}

static PyObject *index_remove(PyObject *self, PyObject *args)
{
    IndexObject *o = (IndexObject *)self;
    const char *key;
    Py_ssize_t klen;
    if (!index_ready(o) || !PyArg_ParseTuple(args, "s#", &key, &klen))
        return NULL;
    pthread_rwlock_wrlock(&o->lock);
    int rc = dedup_index_remove_named(o->idx, key, (size_t)klen);
    pthread_rwlock_unlock(&o->lock);
    if (rc)
        return status_error(state_from_type(Py_TYPE(self)), rc, key);
    Py_RETURN_NONE;
}

static PyObject *index_expire(PyObject *self, PyObject *arg)
{
    IndexObject *o = (IndexObject *)self;
    long long before = PyLong_AsLongLong(arg);
    if (!index_ready(o) || (before == -1 && PyErr_Occurred()))
        return NULL;
    size_t removed = 0;
    pthread_rwlock_wrlock(&o->lock);
    int rc = dedup_index_expire(o->idx, (int64_t)before, &removed);
    pthread_rwlock_unlock(&o->lock);
    if (rc)
        return status_error(state_from_type(Py_TYPE(self)), rc, NULL);
    return PyLong_FromSize_t(removed);
}

static PyObject *index_stamp(PyObject *self, PyObject *args)
{
    IndexObject *o = (IndexObject *)self;
    const char *key;
    Py_ssize_t klen;
    if (!index_ready(o) || !PyArg_ParseTuple(args, "s#", &key, &klen))
        return NULL;
    pthread_rwlock_rdlock(&o->lock);
    uint64_t id = 0;
    int64_t stamp = 0;
    int rc = dedup_index_lookup(o->idx, key, (size_t)klen, &id);
    if (!rc)
        rc = dedup_index_stamp(o->idx, id, &stamp);
    pthread_rwlock_unlock(&o->lock);
    if (rc)
        return status_error(state_from_type(Py_TYPE(self)), rc, key);
    return PyLong_FromLongLong(stamp);
}

static Py_ssize_t index_len(PyObject *self)
{
    IndexObject *o = (IndexObject *)self;
    if (!index_ready(o))
        return -1;
    pthread_rwlock_rdlock(&o->lock);
    size_t n = dedup_index_count(o->idx);
    pthread_rwlock_unlock(&o->lock);
    return (Py_ssize_t)n;
}

static int index_contains(PyObject *self, PyObject *key)
{
    IndexObject *o = (IndexObject *)self;
    if (!index_ready(o))
        return -1;
    if (!PyUnicode_Check(key))
        return 0;
    Py_ssize_t len;
    const char *k = PyUnicode_AsUTF8AndSize(key, &len);
    if (!k)
        return -1;
    uint64_t id;
    pthread_rwlock_rdlock(&o->lock);
    int rc = dedup_index_lookup(o->idx, k, (size_t)len, &id);
    pthread_rwlock_unlock(&o->lock);
    return rc == DEDUP_OK;
}

typedef struct {
    const dedup_index *idx;
    PyObject *list;
} keys_walk;

static int visit_key(uint64_t id, int64_t stamp, void *p)
{
    keys_walk *w = p;
    size_t len;
    const char *name = dedup_index_name(w->idx, id, &len);
    if (!name)
        return 0;
    PyObject *k = PyUnicode_DecodeUTF8(name, (Py_ssize_t)len, "surrogateescape");
    if (!k || PyList_Append(w->list, k)) {
        Py_XDECREF(k);
        return 1;
    }
    Py_DECREF(k);
    return 0;
}

static PyObject *index_keys(PyObject *self, PyObject *unused)
{
    IndexObject *o = (IndexObject *)self;
    if (!index_ready(o))
        return NULL;
    keys_walk w = {o->idx, PyList_New(0)};
    if (!w.list)
        return NULL;
    pthread_rwlock_rdlock(&o->lock);
    int bad = dedup_index_foreach(o->idx, visit_key, &w);
    pthread_rwlock_unlock(&o->lock);
    if (bad)
        Py_CLEAR(w.list);
    return w.list;
}

static PyObject *index_save(PyObject *self, PyObject *arg)
{
    IndexObject *o = (IndexObject *)self;
    PyObject *path = NULL;
    if (!index_ready(o) || !PyUnicode_FSConverter(arg, &path))
        return NULL;
    int rc;
    const char *p = PyBytes_AsString(path);
    Py_BEGIN_ALLOW_THREADS
    pthread_rwlock_rdlock(&o->lock);
    rc = dedup_index_save(o->idx, p);
    pthread_rwlock_unlock(&o->lock);
    Py_END_ALLOW_THREADS
    if (rc) {
        if (rc == DEDUP_E_IO) {
            PyErr_SetFromErrnoWithFilenameObject(state_from_type(Py_TYPE(self))->io_error, arg);
            Py_DECREF(path);
            return NULL;
        }
        status_error(state_from_type(Py_TYPE(self)), rc, p);
        Py_DECREF(path);
        return NULL;
    }
    Py_DECREF(path);
    Py_RETURN_NONE;
}

static PyObject *index_new_from(PyTypeObject *cls, dedup_index *idx)
{
    IndexObject *o = (IndexObject *)PyType_GenericAlloc(cls, 0);
    if (!o) {
        dedup_index_free(idx);
        return NULL;
    }
    index_adopt(o, idx);
    return (PyObject *)o;
}

static PyObject *index_load(PyObject *cls, PyObject *arg)
{
    module_state *st = state_from_type((PyTypeObject *)cls);
    PyObject *path = NULL;
    if (!PyUnicode_FSConverter(arg, &path))
        return NULL;
    dedup_index *idx = NULL;
    int rc;
    const char *p = PyBytes_AsString(path);
    Py_BEGIN_ALLOW_THREADS
    rc = dedup_index_load(&idx, p);
    Py_END_ALLOW_THREADS
    if (rc) {
        if (rc == DEDUP_E_IO)
            PyErr_SetFromErrnoWithFilenameObject(st->io_error, arg);
        else
            status_error(st, rc, p);
        Py_DECREF(path);
        return NULL;
    }
    Py_DECREF(path);
    return index_new_from((PyTypeObject *)cls, idx);
}

static PyObject *index_to_bytes(PyObject *self, PyObject *unused)
{
    IndexObject *o = (IndexObject *)self;
    if (!index_ready(o))
        return NULL;
    pthread_rwlock_rdlock(&o->lock);
    size_t n = dedup_index_serialized_size(o->idx), w = 0;
    PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
    int rc = b ? dedup_index_serialize(o->idx, PyBytes_AsString(b), n, &w) : DEDUP_OK;
    pthread_rwlock_unlock(&o->lock);
    if (b && rc) {
        Py_DECREF(b);
        return status_error(state_from_type(Py_TYPE(self)), rc, NULL);
    }
    return b;
}

static PyObject *index_from_bytes(PyObject *cls, PyObject *arg)
{
    module_state *st = state_from_type((PyTypeObject *)cls);
    char *data;
    Py_ssize_t len;
    if (PyBytes_AsStringAndSize(arg, &data, &len))
        return NULL;
    dedup_index *idx = NULL;
    int rc = dedup_index_deserialize(&idx, data, (size_t)len);
    if (rc)
        return status_error(st, rc, NULL);
    return index_new_from((PyTypeObject *)cls, idx);
}

static PyObject *index_boilerplate(PyObject *self, void *unused)
{
    IndexObject *o = (IndexObject *)self;
    return index_ready(o) ? PyLong_FromUnsignedLong(dedup_index_boilerplate(o->idx)) : NULL;
}

static PyObject *params_dict(const dedup_params *p);

static PyObject *index_params(PyObject *self, void *unused)
{
    IndexObject *o = (IndexObject *)self;
    return index_ready(o) ? params_dict(dedup_index_params(o->idx)) : NULL;
}

static PyMethodDef index_methods[] = {
    {"add_unique", (PyCFunction)(void (*)(void))index_add_unique, METH_VARARGS | METH_KEYWORDS,
     NULL},
    {"add", (PyCFunction)(void (*)(void))index_add, METH_VARARGS | METH_KEYWORDS, NULL},
    {"query", (PyCFunction)(void (*)(void))index_query, METH_VARARGS | METH_KEYWORDS, NULL},
    {"explain", (PyCFunction)(void (*)(void))index_explain, METH_VARARGS | METH_KEYWORDS, NULL},
    {"remove", index_remove, METH_VARARGS, NULL},
    {"expire", index_expire, METH_O, NULL},
    {"stamp", index_stamp, METH_VARARGS, NULL},
    {"keys", index_keys, METH_NOARGS, NULL},
    {"save", index_save, METH_O, NULL},
    {"load", index_load, METH_O | METH_CLASS, NULL},
    {"to_bytes", index_to_bytes, METH_NOARGS, NULL},
    {"from_bytes", index_from_bytes, METH_O | METH_CLASS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef index_getset[] = {
    {"boilerplate", index_boilerplate, NULL, NULL, NULL},
    {"params", index_params, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot index_slots[] = {
    {Py_tp_init, index_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, index_dealloc},
    {Py_tp_methods, index_methods},
    {Py_tp_getset, index_getset},
    {Py_sq_length, index_len},
    {Py_sq_contains, index_contains},
    {0, NULL},
};

static PyType_Spec index_spec = {"dedup._dedup.Index", sizeof(IndexObject), 0,
                                 Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, index_slots};

/* ============================================================ cluster */

typedef struct {
    const dedup_params *params;
    const dedup_linestats *lines;
    uint32_t min_docs;
    dedup_batch *batch;
    fields *docs;
    size_t n;
    size_t next;
    pthread_mutex_t mu;
    int err;
    /* the boilerplate pass: each document's line hashes */
    uint64_t **hashes;
    size_t *nhashes;
    /* each document's site (NULL: none) */
    const char **site;
    Py_ssize_t *site_len;
} sign_job;

/* Take the next block of documents [*from, *to) of j, or 0 when done or
 * failed (recording err, if any). */
static int take_block(sign_job *j, int err, size_t *from, size_t *to)
{
    pthread_mutex_lock(&j->mu);
    if (err && !j->err)
        j->err = err;
    *from = j->next;
    j->next += 64;
    int go = !j->err && *from < j->n;
    pthread_mutex_unlock(&j->mu);
    *to = *from + 64 < j->n ? *from + 64 : j->n;
    return go;
}

/* The line hashes of each document: those of its fields' lines (fields
 * are joined with line breaks, so a line never spans two), collected for
 * the sketch to count in document order. */
static void *hash_worker(void *arg)
{
    sign_job *j = arg;
    int err = 0;
    size_t i, end;
    while (take_block(j, err, &i, &end)) {
        for (; i < end && !err; i++) {
            size_t total = 0, cap = 0;
            uint64_t *h = NULL;
            for (size_t k = 0; k < j->docs[i].n && !err; k++) {
                const dedup_field *f = &j->docs[i].f[k];
                size_t m = 0;
                if (!f->text)
                    continue;
                while ((err = dedup_linestats_hashes(f->text, f->len, h ? h + total : NULL,
                                                     cap - total, &m)) == DEDUP_E_RANGE) {
                    size_t ncap = (total + m) * 2;
                    uint64_t *nh = realloc(h, ncap * sizeof *nh);
                    if (!nh) {
                        err = DEDUP_E_NOMEM;
                        break;
                    }
                    h = nh;
                    cap = ncap;
                }
                total += err ? 0 : m;
            }
            /* the lines' keys under the document's site follow them */
            if (!err && total && j->site && j->site[i]) {
                uint64_t *nh = realloc(h, 2 * total * sizeof *nh);
                if (!nh)
                    err = DEDUP_E_NOMEM;
                else {
                    h = nh;
                    err = dedup_linestats_site_keys(j->site[i], (size_t)j->site_len[i], h,
                                                    total, h + total);
                    total *= 2;
                }
            }
            j->hashes[i] = h;
            j->nhashes[i] = total;
        }
    }
    if (err)
        take_block(j, err, &i, &end);
    return NULL;
}

/* Run fn on job j with n threads (at least one: the caller's, if none
 * starts). */
static void run_threads(void *(*fn)(void *), sign_job *j, long n)
{
    pthread_t *tid = calloc((size_t)n, sizeof *tid);
    long started = 0;
    for (; tid && started < n; started++)
        if (pthread_create(&tid[started], NULL, fn, j))
            break;
    if (started == 0)
        fn(j);
    for (long t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    free(tid);
}

static void *sign_worker(void *arg)
{
    sign_job *j = arg;
    dedup_hasher *h = NULL;
    dedup_signature *sig = NULL;
    int err = dedup_hasher_create(&h, j->params);
    if (!err && j->lines)
        err = dedup_hasher_set_linestats(h, j->lines, j->min_docs);
    if (!err)
        err = dedup_signature_create(&sig, j->params);
    size_t i, end;
    while (take_block(j, err, &i, &end)) {
        for (; i < end && !err; i++) {
            if (j->site)
                err = dedup_hasher_set_site(h, j->site[i], j->site[i] ? (size_t)j->site_len[i] : 0);
            if (!err)
                err = dedup_hasher_sign_fields(h, j->docs[i].f, j->docs[i].n, sig);
            if (!err)
                err = dedup_batch_set(j->batch, i, sig);
        }
    }
    if (err)
        take_block(j, err, &i, &end);
    dedup_signature_free(sig);
    dedup_hasher_free(h);
    return NULL;
}

/* Width of the line statistics for a corpus of total bytes, as dedup
 * cluster sizes them for its input. */
static size_t lines_width(uint64_t total)
{
    size_t width = total ? (size_t)(total / 32) : (size_t)1 << 24;
    if (width < ((size_t)1 << 16))
        width = (size_t)1 << 16;
    if (width > ((size_t)1 << 26))
        width = (size_t)1 << 26;
    return width;
}

static const char *const cluster_skip[] = {"boilerplate", "threads", "sites", NULL};

/* A number of threads: 1 to 1024, 0 or None for every processor. -1 with
 * an exception set if bad. */
static long threads_value(module_state *st, PyObject *tv)
{
    long threads = 0;
    if (tv && tv != Py_None && ((threads = PyLong_AsLong(tv)) == -1 && PyErr_Occurred()))
        return -1;
    if (threads < 0 || threads > 1024) {
        PyErr_SetString(st->param_error, "threads: 0 (all processors) to 1024");
        return -1;
    }
    if (threads == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        threads = c > 0 ? c : 1;
    }
    return threads;
}

/* The threads keyword, as threads_value. */
static long threads_from(module_state *st, PyObject *kwargs)
{
    return threads_value(st, kwargs ? PyDict_GetItemString(kwargs, "threads") : NULL);
}

/* A corpus to cluster: each document's fields (pointing into the str
 * objects of seq, which it keeps alive) and the work's state. */
typedef struct {
    PyObject *seq;
    fields *docs;
    Py_ssize_t n, filled;
    uint64_t total; /* bytes of text */
    dedup_batch *batch;
    dedup_linestats *lines;
    dedup_clusters *c;
    uint64_t **hashes; /* the boilerplate pass's line hashes */
    size_t *nhashes;
    PyObject *sites;   /* the sites given, kept alive, or NULL */
    const char **site; /* each document's site in UTF-8, or NULL */
    Py_ssize_t *site_len;
} corpus;

static void corpus_free(corpus *k)
{
    PyMem_Free(k->site);
    PyMem_Free(k->site_len);
    Py_XDECREF(k->sites);
    for (Py_ssize_t i = 0; k->hashes && i < k->n; i++)
        free(k->hashes[i]);
    free(k->hashes);
    free(k->nhashes);
    for (Py_ssize_t i = 0; k->docs && i < k->filled; i++)
        fields_free(&k->docs[i]);
    PyMem_Free(k->docs);
    dedup_clusters_free(k->c);
    dedup_batch_free(k->batch);
    dedup_linestats_free(k->lines);
    Py_XDECREF(k->seq);
}

/* The documents of texts, as fields. 0, or -1 with an exception set. */
static int corpus_read(corpus *k, PyObject *texts)
{
    if (!(k->seq = PySequence_List(texts)))
        return -1;
    k->n = PyList_Size(k->seq);
    if (!(k->docs = PyMem_Calloc(k->n ? (size_t)k->n : 1, sizeof *k->docs))) {
        PyErr_NoMemory();
        return -1;
    }
    for (; k->filled < k->n; k->filled++) {
        /* filled in place: a short document's fields point into its own
         * struct, which does not move */
        fields *d = &k->docs[k->filled];
        if (fields_from(PyList_GetItem(k->seq, k->filled), d))
            return -1;
        for (size_t i = 0; i < d->n; i++)
            k->total += d->f[i].len + 1;
    }
    return 0;
}

/* Each document's site from sites, a sequence as long as the corpus of
 * str or None. 0, or -1 with an exception set. */
static int corpus_sites(corpus *k, PyObject *sites)
{
    if (!(k->sites = PySequence_List(sites)))
        return -1;
    if (PyList_Size(k->sites) != k->n) {
        PyErr_SetString(PyExc_ValueError, "sites: one for each document");
        return -1;
    }
    k->site = PyMem_Calloc(k->n ? (size_t)k->n : 1, sizeof *k->site);
    k->site_len = PyMem_Calloc(k->n ? (size_t)k->n : 1, sizeof *k->site_len);
    if (!k->site || !k->site_len) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < k->n; i++) {
        PyObject *s = PyList_GetItem(k->sites, i);
        if (s == Py_None)
            continue;
        if (!PyUnicode_Check(s)) {
            PyErr_Format(PyExc_TypeError, "sites[%zd]: a str or None", i);
            return -1;
        }
        if (!(k->site[i] = PyUnicode_AsUTF8AndSize(s, &k->site_len[i])))
            return -1;
    }
    return 0;
}

/* Line statistics, signatures and clusters, without the GIL: the
 * boilerplate pass first, over the whole corpus, as dedup cluster (the
 * line hashes on every thread, then counted in document order, so that
 * the counts are those of one pass); then signing on every thread; then
 * clustering. A library status. */
static int corpus_cluster(corpus *k, const dedup_params *p, long b, long threads)
{
    size_t n = (size_t)k->n;
    int rc = dedup_batch_create(&k->batch, p);
    if (!rc)
        rc = dedup_batch_resize(k->batch, n);
    if (!rc && b)
        rc = dedup_linestats_create(&k->lines, lines_width(k->total));
    if (!rc && k->lines) {
        k->hashes = calloc(n ? n : 1, sizeof *k->hashes);
        k->nhashes = calloc(n ? n : 1, sizeof *k->nhashes);
        if (!k->hashes || !k->nhashes)
            rc = DEDUP_E_NOMEM;
    }
    if (rc)
        return rc;
    sign_job job = {p, NULL, (uint32_t)b, k->batch, k->docs, n, 0,
                    PTHREAD_MUTEX_INITIALIZER, 0, k->hashes, k->nhashes, k->site, k->site_len};
    Py_BEGIN_ALLOW_THREADS
    if (k->lines) {
        run_threads(hash_worker, &job, threads);
        rc = job.err;
        for (size_t i = 0; !rc && i < n; i++)
            rc = dedup_linestats_add_hashes(k->lines, k->hashes[i], k->nhashes[i]);
        job.next = 0;
    }
    job.lines = k->lines;
    if (!rc) {
        run_threads(sign_worker, &job, threads);
        rc = job.err;
    }
    if (!rc)
        rc = dedup_batch_cluster(&k->c, k->batch, (unsigned)threads);
    Py_END_ALLOW_THREADS
    return rc;
}

/* ------------------------------------------------------------ JSONL */

/*
 * read_jsonl: the records of JSON lines as the dedup tool reads them (its
 * --text-field and --id-field), without building a Python object per JSON
 * value: only the wanted fields become str objects. A small parser of its
 * own: one JSON object a line, blank lines skipped; values of other keys
 * are checked as they are skipped.
 */
typedef struct {
    const char *p, *end;
    const char *what; /* the error, or NULL */
    char *buf;        /* decoded string */
    size_t len, cap;
    const char *str;  /* the string js_string read: in the line itself when
                       * it has no escape, else buf; len bytes */
} jscan;

static void js_ws(jscan *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r'))
        j->p++;
}

static int js_put(jscan *j, const char *s, size_t n)
{
    if (j->len + n > j->cap) {
        size_t cap = j->cap ? j->cap : 256;
        while (cap < j->len + n)
            cap *= 2;
        char *b = realloc(j->buf, cap);
        if (!b) {
            j->what = "out of memory";
            return -1;
        }
        j->buf = b;
        j->cap = cap;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    return 0;
}

static int js_hex4(const char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                     : (c | 32) >= 'a' && (c | 32) <= 'f' ? (unsigned)((c | 32) - 'a' + 10)
                                                            : 16;
        if (d > 15)
            return -1;
        *v = *v << 4 | d;
    }
    return 0;
}

/* One \u escape (and its low surrogate) at j->p, after the backslash. */
static int js_unicode(jscan *j)
{
    unsigned c, lo;
    if (j->end - j->p < 5 || js_hex4(j->p + 1, &c))
        return j->what = "bad \\u escape", -1;
    j->p += 5;
    if (c >= 0xD800 && c < 0xDC00 && j->end - j->p >= 6 && j->p[0] == '\\' &&
        j->p[1] == 'u' && !js_hex4(j->p + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
        c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
        j->p += 6;
    } else if (c >= 0xD800 && c < 0xE000) {
        c = 0xFFFD; /* a lone surrogate */
    }
    char u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | c >> 6);
        u[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | c >> 12);
        u[1] = (char)(0x80 | (c >> 6 & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | c >> 18);
        u[1] = (char)(0x80 | (c >> 12 & 0x3F));
        u[2] = (char)(0x80 | (c >> 6 & 0x3F));
        u[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    return js_put(j, u, n);
}

/* The string at j->p (its opening quote), decoded into j->buf if keep. */
static int js_string(jscan *j, int keep)
{
    j->len = 0;
    j->p++;
    const char *start = j->p;
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    for (;;) {
        const char *s = j->p;
        /* Eight bytes at a time while none is a quote, a backslash or a
         * control character (bit tricks: a zero byte of w ^ c marks c). */
        while (j->end - j->p >= 8) {
            uint64_t w, q, b;
            memcpy(&w, j->p, 8);
            q = w ^ (ones * '"');
            b = w ^ (ones * '\\');
            if (((q - ones) & ~q & high) | ((b - ones) & ~b & high) | ((w - ones * 0x20) & ~w & high))
                break;
            j->p += 8;
        }
        while (j->p < j->end && *j->p != '"' && *j->p != '\\' && (unsigned char)*j->p >= 0x20)
            j->p++;
        if (j->p < j->end && *j->p == '"' && s == start) {
            /* No escape: the string is the line's own bytes. */
            j->str = s;
            j->len = (size_t)(j->p - s);
            j->p++;
            return 0;
        }
        if (keep && js_put(j, s, (size_t)(j->p - s)))
            return -1;
        if (j->p >= j->end)
            return j->what = "unterminated string", -1;
        if (*j->p == '"') {
            j->str = j->buf ? j->buf : "";
            j->p++;
            return 0;
        }
        if ((unsigned char)*j->p < 0x20)
            return j->what = "control character in a string", -1;
        if (j->end - j->p < 2)
            return j->what = "unterminated string", -1;
        char e = j->p[1], c;
        switch (e) {
        case '"': case '\\': case '/': c = e; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u':
            j->p++;
            if (keep ? js_unicode(j) : (j->end - j->p < 5 ? -1 : (j->p += 5, 0)))
                return j->what ? -1 : (j->what = "bad \\u escape", -1);
            continue;
        default:
            return j->what = "bad escape in a string", -1;
        }
        if (keep && js_put(j, &c, 1))
            return -1;
        j->p += 2;
    }
}

/* Skip the value at j->p (strings, numbers, literals, nested values). */
static int js_skip(jscan *j, int depth)
{
    js_ws(j);
    if (j->p >= j->end)
        return j->what = "a value is missing", -1;
    char c = *j->p;
    if (c == '"')
        return js_string(j, 0);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        if (depth > 512)
            return j->what = "nested too deeply", -1;
        j->p++;
        js_ws(j);
        if (j->p < j->end && *j->p == close)
            return j->p++, 0;
        for (;;) {
            if (c == '{') {
                js_ws(j);
                if (j->p >= j->end || *j->p != '"' || js_string(j, 0))
                    return j->what ? -1 : (j->what = "a key is missing", -1);
                js_ws(j);
                if (j->p >= j->end || *j->p++ != ':')
                    return j->what = "':' is missing", -1;
            }
            if (js_skip(j, depth + 1))
                return -1;
            js_ws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->end && *j->p == close)
                return j->p++, 0;
            return j->what = "',' or a closing bracket is missing", -1;
        }
    }
    static const char *const lit[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(lit[i]);
        if (c == lit[i][0]) {
            if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit[i], n))
                return j->what = "not a JSON value", -1;
            j->p += n;
            return 0;
        }
    }
    const char *s = j->p;
    if (c == '-')
        j->p++;
    while (j->p < j->end && (isdigit((unsigned char)*j->p) || *j->p == '.' || *j->p == 'e' ||
                             *j->p == 'E' || *j->p == '+' || *j->p == '-'))
        j->p++;
    if (j->p == s || !isdigit((unsigned char)s[c == '-']))
        return j->what = "not a JSON value", -1;
    return 0;
}

/* The wanted fields of one record line: text fields (ntext of them) and the
 * id, found by name. */
typedef struct {
    const char *const *name;
    size_t *len;
    size_t ntext;         /* names[0..ntext) text fields, names[ntext] the id */
    PyObject **value;     /* one per name, NULL: absent */
    int raw;              /* text fields as bytes rather than str */
    char what[160];
} jrecord;

/* The value of wanted field k at j->p into r->value[k]. */
static int jr_value(jscan *j, jrecord *r, size_t k)
{
    js_ws(j);
    const char *s = j->p;
    if (j->p < j->end && *j->p == '"') {
        if (js_string(j, 1))
            return -1;
        Py_XDECREF(r->value[k]);
        r->value[k] = r->raw && k < r->ntext
                          ? PyBytes_FromStringAndSize(j->str, (Py_ssize_t)j->len)
                          : PyUnicode_DecodeUTF8(j->str, (Py_ssize_t)j->len, "replace");
        return r->value[k] ? 0 : -2;
    }
    if (js_skip(j, 0))
        return -1;
    if (k < r->ntext && j->p - s == 4 && !memcmp(s, "null", 4))
        return 0; /* a missing field */
    if (k == r->ntext && (*s == '-' || isdigit((unsigned char)*s))) {
        /* An integer id becomes an int, another number its text. */
        char num[64];
        size_t n = (size_t)(j->p - s);
        int integer = n < sizeof num;
        for (size_t i = *s == '-'; integer && i < n; i++)
            integer = isdigit((unsigned char)s[i]);
        PyObject *v;
        if (integer) {
            memcpy(num, s, n);
            num[n] = 0;
            v = PyLong_FromString(num, NULL, 10);
        } else {
            v = PyUnicode_FromStringAndSize(s, (Py_ssize_t)n);
        }
        Py_XDECREF(r->value[k]);
        r->value[k] = v;
        return v ? 0 : -2;
    }
    snprintf(r->what, sizeof r->what, "field \"%s\" is not a string%s", r->name[k],
             k == r->ntext ? " or a number" : "");
    j->what = r->what;
    return -1;
}

/* One record line into r->value. 0, -1 (j->what says why), -2 (a Python
 * exception is set). */
static int jr_line(jscan *j, jrecord *r)
{
    js_ws(j);
    if (j->p >= j->end || *j->p != '{')
        return j->what = "not a JSON object", -1;
    j->p++;
    js_ws(j);
    if (j->p < j->end && *j->p == '}')
        return j->p++, 0;
    for (;;) {
        js_ws(j);
        if (j->p >= j->end || *j->p != '"' || js_string(j, 1))
            return j->what ? -1 : (j->what = "a key is missing", -1);
        size_t k = 0;
        for (; k <= r->ntext; k++)
            if (r->len[k] == j->len && !memcmp(r->name[k], j->str, j->len))
                break;
        js_ws(j);
        if (j->p >= j->end || *j->p++ != ':')
            return j->what = "':' is missing", -1;
        int rc = k <= r->ntext ? jr_value(j, r, k) : js_skip(j, 0);
        if (rc)
            return rc;
        js_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == '}') {
            j->p++;
            js_ws(j);
            return j->p == j->end ? 0 : (j->what = "text after the object", -1);
        }
        return j->what = "',' or '}' is missing", -1;
    }
}

/* The record of one non-blank line into ids and docs. 0, or -1 with an
 * exception set. */
static int jr_add(module_state *st, jscan *j, jrecord *r, const char *name, size_t line,
                  const char *fields_text, PyObject *ids, PyObject *docs)
{
    for (size_t k = 0; k <= r->ntext; k++)
        Py_CLEAR(r->value[k]);
    int rc = jr_line(j, r);
    size_t present = 0;
    for (size_t k = 0; rc == 0 && k < r->ntext; k++)
        present += r->value[k] != NULL;
    if (rc == 0 && !present) {
        if (r->ntext == 1)
            snprintf(r->what, sizeof r->what, "no text field \"%s\"", r->name[0]);
        else
            snprintf(r->what, sizeof r->what, "none of the text fields %s is present",
                     fields_text);
        j->what = r->what;
        rc = -1;
    }
    if (rc == -1) {
        PyErr_Format(st->format_error, "%s:%zu: %s", name, line, j->what);
        return -1;
    }
    if (rc)
        return -1;
    PyObject *doc = PyTuple_New((Py_ssize_t)r->ntext);
    if (!doc)
        return -1;
    for (size_t k = 0; k < r->ntext; k++) {
        PyObject *v = r->value[k] ? r->value[k] : Py_None;
        Py_INCREF(v);
        PyTuple_SetItem(doc, (Py_ssize_t)k, v);
    }
    PyObject *id = r->value[r->ntext] ? r->value[r->ntext]
                                      : PyLong_FromSize_t(line);
    if (r->value[r->ntext])
        Py_INCREF(id);
    rc = !id || PyList_Append(ids, id) || PyList_Append(docs, doc) ? -1 : 0;
    Py_XDECREF(id);
    Py_DECREF(doc);
    return rc;
}

/* read_jsonl(data, text_fields, id_field, name) -> (ids, docs) */
static PyObject *py_read_jsonl(PyObject *module, PyObject *args)
{
    module_state *st = state_of(module);
    PyObject *data, *tf;
    const char *id_field, *name, *fields_text;
    int raw = 0;
    if (!PyArg_ParseTuple(args, "SO!ss|p", &data, &PyTuple_Type, &tf, &id_field, &name, &raw))
        return NULL;
    size_t ntext = (size_t)PyTuple_Size(tf);
    if (ntext == 0 || ntext > 64) {
        PyErr_SetString(st->param_error, "text_fields: 1 to 64 field names");
        return NULL;
    }
    const char *names[65];
    size_t lens[65];
    PyObject *value[65] = {0};
    for (size_t k = 0; k < ntext; k++) {
        Py_ssize_t n;
        if (!(names[k] = PyUnicode_AsUTF8AndSize(PyTuple_GetItem(tf, (Py_ssize_t)k), &n)))
            return NULL;
        lens[k] = (size_t)n;
    }
    names[ntext] = id_field;
    lens[ntext] = strlen(id_field);
    PyObject *comma = PyUnicode_FromString(","), *joined = comma ? PyUnicode_Join(comma, tf) : NULL;
    Py_XDECREF(comma);
    Py_ssize_t jl;
    if (!joined || !(fields_text = PyUnicode_AsUTF8AndSize(joined, &jl))) {
        Py_XDECREF(joined);
        return NULL;
    }
    jrecord r = {names, lens, ntext, value, raw, {0}};
    jscan j = {0};
    PyObject *ids = PyList_New(0), *docs = PyList_New(0), *result = NULL;
    char *p = PyBytes_AsString(data), *end = p + PyBytes_Size(data);
    size_t line = 0;
    int rc = ids && docs ? 0 : -1;
    while (!rc && p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
        line++;
        const char *q = p;
        while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q < e) {
            j.p = p;
            j.end = e;
            j.what = NULL;
            rc = jr_add(st, &j, &r, name, line, fields_text, ids, docs);
        }
        p = nl ? nl + 1 : end;
    }
    if (!rc)
        result = Py_BuildValue("(OO)", ids, docs);
    for (size_t k = 0; k <= ntext; k++)
        Py_XDECREF(value[k]);
    free(j.buf);
    Py_XDECREF(ids);
    Py_XDECREF(docs);
    Py_DECREF(joined);
    return result;
}

/* cluster(texts, threads=0, boilerplate=20, **params) -> list of the
 * position of each text's cluster representative */
static PyObject *py_cluster(PyObject *module, PyObject *args, PyObject *kwargs)
{
    module_state *st = state_of(module);
    PyObject *texts;
    if (!PyArg_ParseTuple(args, "O", &texts))
        return NULL;
    long b = boilerplate_from(st, kwargs, DEDUP_BOILERPLATE_DEFAULT), threads;
    if (b < 0 || (threads = threads_from(st, kwargs)) < 0)
        return NULL;
    dedup_params *p = params_from(st, kwargs, cluster_skip);
    if (!p)
        return NULL;
    corpus k;
    memset(&k, 0, sizeof k);
    PyObject *result = NULL;
    int rc;
    PyObject *sites = kwargs ? PyDict_GetItemString(kwargs, "sites") : NULL;
    if (corpus_read(&k, texts) == 0 && (!sites || sites == Py_None || corpus_sites(&k, sites) == 0)) {
        if ((rc = corpus_cluster(&k, p, b, threads))) {
            status_error(st, rc, NULL);
        } else if ((result = PyList_New(k.n))) {
            for (Py_ssize_t i = 0; i < k.n; i++) {
                PyObject *v = PyLong_FromSize_t(dedup_clusters_of(k.c, (size_t)i));
                if (!v) {
                    Py_CLEAR(result);
                    break;
                }
                PyList_SetItem(result, i, v);
            }
        }
    }
    corpus_free(&k);
    dedup_params_free(p);
    return result;
}

/* ============================================================= stages */

/*
 * The stages of batch clustering (dedup.h, section 6) as calls on bytes,
 * for engines written in Python (dedup.dask). They take and return flat
 * records packed back to back in bytes objects, in the host's byte order:
 *
 *   line hashes       per document, its count, then its line hashes
 *                     (uint64_t each), as dedup_linestats_hashes gives
 *                     them for each of its fields;
 *   statistics        serialized line statistics (dedup_linestats_serialize);
 *   document records  dedup_batch_record_size bytes each, the document's
 *                     number first;
 *   band records      dedup_band_record, 16 bytes;
 *   numbers           document numbers, uint64_t;
 *   edges             dedup_edge, 24 bytes;
 *   links             dedup_link, 16 bytes;
 *   assignments       dedup_assignment, 24 bytes.
 *
 * An argument of records is a bytes object, or a sequence of them read
 * one after the other (None: none). Library parameters are keyword
 * arguments, as cluster() takes them; a call that runs a stage makes an
 * empty batch of them for its settings, so every call of one clustering
 * must be given the same. The library's work runs without the GIL.
 */

/* Records of one size, back to back in a malloc'd array. */
typedef struct {
    unsigned char *p;
    size_t n;
} recs;

/* The bytes of o (bytes, a sequence of bytes read in order, or None) as n
 * records of unit bytes, into *r. 0, or -1 with an exception set:
 * FormatError naming what for a length that is not a whole number of
 * records. */
static int recs_from(module_state *st, PyObject *o, size_t unit, recs *r, const char *what)
{
    r->p = NULL;
    r->n = 0;
    PyObject *t = o == Py_None ? PyTuple_New(0)
                  : PyBytes_Check(o) ? PyTuple_Pack(1, o)
                                     : PySequence_Tuple(o);
    if (!t)
        return -1;
    Py_ssize_t k = PyTuple_Size(t);
    size_t total = 0;
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *b = PyTuple_GetItem(t, i);
        if (!PyBytes_Check(b)) {
            PyErr_Format(PyExc_TypeError, "%s: bytes, or a sequence of bytes", what);
            Py_DECREF(t);
            return -1;
        }
        size_t len = (size_t)PyBytes_Size(b);
        if (len % unit) {
            Py_DECREF(t);
            status_error(st, DEDUP_E_FORMAT, what);
            return -1;
        }
        total += len;
    }
    if (!(r->p = malloc(total ? total : 1))) {
        Py_DECREF(t);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0, at = 0; i < k; i++) {
        PyObject *b = PyTuple_GetItem(t, i);
        memcpy(r->p + at, PyBytes_AsString(b), (size_t)PyBytes_Size(b));
        at += PyBytes_Size(b);
    }
    r->n = total / unit;
    Py_DECREF(t);
    return 0;
}

/* A bytes object of the n records of unit bytes at p. */
static PyObject *bytes_of(const void *p, size_t n, size_t unit)
{
    return PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)(n * unit));
}

/* Records going to one of several parts. */
typedef struct {
    unsigned char *p;
    size_t len, cap;
} bucket;

static int bucket_add(bucket *b, const void *x, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p)
            return DEDUP_E_NOMEM;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, x, n);
    b->len += n;
    return DEDUP_OK;
}

/* n buckets as a list of bytes objects, one each; or, when ok is 0 (an
 * exception is set) or that fails, NULL. The buckets are released either
 * way. */
static PyObject *buckets_list(bucket *b, size_t n, int ok)
{
    PyObject *list = ok ? PyList_New((Py_ssize_t)n) : NULL;
    for (size_t i = 0; i < n; i++) {
        PyObject *x = list ? bytes_of(b[i].p, b[i].len, 1) : NULL;
        if (list && !x)
            Py_CLEAR(list);
        if (x)
            PyList_SetItem(list, (Py_ssize_t)i, x);
        free(b[i].p);
    }
    free(b);
    return list;
}

/* An empty batch for the library parameters of kwargs (cluster()'s other
 * keywords left); *representative (may be NULL) receives whether its
 * mode is representative. NULL with an exception set. */
static dedup_batch *stage_batch(module_state *st, PyObject *kwargs, int *representative)
{
    dedup_params *p = params_from(st, kwargs, cluster_skip);
    if (!p)
        return NULL;
    dedup_batch *b = NULL;
    int64_t mode = DEDUP_CLUSTER_REPRESENTATIVE;
    int rc = dedup_batch_create(&b, p);
    dedup_params_get(p, DEDUP_P_CLUSTER_MODE, &mode);
    dedup_params_free(p);
    if (rc)
        status_error(st, rc, NULL);
    if (representative)
        *representative = mode == DEDUP_CLUSTER_REPRESENTATIVE;
    return b;
}

/* nparts from a Python int: 1 to 2^32 - 1. -1 with an exception set. */
static int nparts_ok(module_state *st, Py_ssize_t nparts)
{
    if (nparts >= 1 && (uint64_t)nparts <= UINT32_MAX)
        return 0;
    PyErr_SetString(st->param_error, "nparts: 1 to 2^32 - 1");
    return -1;
}

static uint64_t record_number(const unsigned char *r)
{
    uint64_t d;
    memcpy(&d, r, sizeof d);
    return d;
}

/* stage_info(threads=0, boilerplate=20, **params) -> dict: the keywords
 * checked as cluster() checks them, and what an engine plans with. */
static PyObject *py_stage_info(PyObject *module, PyObject *args, PyObject *kwargs)
{
    module_state *st = state_of(module);
    if (!PyArg_ParseTuple(args, ""))
        return NULL;
    long b = boilerplate_from(st, kwargs, DEDUP_BOILERPLATE_DEFAULT), threads;
    if (b < 0 || (threads = threads_from(st, kwargs)) < 0)
        return NULL;
    dedup_params *p = params_from(st, kwargs, cluster_skip);
    if (!p)
        return NULL;
    dedup_batch *batch = NULL;
    unsigned bands = 0;
    int64_t mode = DEDUP_CLUSTER_REPRESENTATIVE;
    int rc = dedup_batch_create(&batch, p);
    if (!rc)
        bands = dedup_batch_bands(batch);
    dedup_params_get(p, DEDUP_P_CLUSTER_MODE, &mode);
    PyObject *result =
        rc ? status_error(st, rc, NULL)
           : Py_BuildValue("{s:n,s:I,s:O,s:l,s:l}", "record_size",
                           (Py_ssize_t)dedup_batch_record_size(batch), "bands", bands,
                           "representative",
                           mode == DEDUP_CLUSTER_REPRESENTATIVE ? Py_True : Py_False,
                           "boilerplate", b, "threads", threads);
    dedup_batch_free(batch);
    dedup_params_free(p);
    return result;
}

/* The line hashes of every document of k, with threads threads, as the
 * tuple (documents, text bytes, line hashes). */
static PyObject *corpus_hashes(module_state *st, corpus *k, long threads)
{
    size_t n = (size_t)k->n, words = n;
    k->hashes = calloc(n ? n : 1, sizeof *k->hashes);
    k->nhashes = calloc(n ? n : 1, sizeof *k->nhashes);
    if (!k->hashes || !k->nhashes)
        return PyErr_NoMemory();
    sign_job job = {.docs = k->docs, .n = n, .mu = PTHREAD_MUTEX_INITIALIZER,
                    .hashes = k->hashes, .nhashes = k->nhashes, .site = k->site,
                    .site_len = k->site_len};
    Py_BEGIN_ALLOW_THREADS
    run_threads(hash_worker, &job, threads);
    Py_END_ALLOW_THREADS
    if (job.err)
        return status_error(st, job.err, NULL);
    for (size_t i = 0; i < n; i++)
        words += k->nhashes[i];
    PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(words * sizeof(uint64_t)));
    if (!b)
        return NULL;
    char *o = PyBytes_AsString(b);
    for (size_t i = 0; i < n; i++) {
        uint64_t c = k->nhashes[i];
        memcpy(o, &c, sizeof c);
        o += sizeof c;
        if (c)
            memcpy(o, k->hashes[i], c * sizeof c);
        o += c * sizeof c;
    }
    return Py_BuildValue("(nKN)", k->n, (unsigned long long)k->total, b);
}

/* line_hashes(texts, *, threads=0, sites=None) -> (documents, text bytes,
 * line hashes): what the line statistics count of each text (texts and
 * sites as cluster() takes them), and the bytes of text cluster() sizes
 * the statistics by. */
static PyObject *py_line_hashes(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"texts", "threads", "sites", NULL};
    module_state *st = state_of(module);
    PyObject *texts, *tv = NULL, *sites = Py_None;
    long threads;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|$OO", kw, &texts, &tv, &sites) ||
        (threads = threads_value(st, tv)) < 0)
        return NULL;
    corpus k;
    memset(&k, 0, sizeof k);
    PyObject *result = corpus_read(&k, texts) || (sites != Py_None && corpus_sites(&k, sites))
                           ? NULL
                           : corpus_hashes(st, &k, threads);
    corpus_free(&k);
    return result;
}

/* Count the documents of line hashes h[0..n) (each its count, then its
 * hashes) into ls, in order. DEDUP_E_FORMAT for a count past the end. */
static int count_hashes(dedup_linestats *ls, const uint64_t *h, size_t n)
{
    int rc = DEDUP_OK;
    for (size_t i = 0; i < n && !rc; i += 1 + (size_t)h[i])
        rc = h[i] > n - i - 1 ? DEDUP_E_FORMAT
                              : dedup_linestats_add_hashes(ls, h + i + 1, (size_t)h[i]);
    return rc;
}

/* linestats_add(stats, hashes, total=0) -> statistics: stats (None: new
 * statistics, as wide as cluster() makes them for total bytes of text)
 * with the documents of hashes counted after those it holds. Counting
 * every part's hashes in document order, one part after the other,
 * counts what one pass over the corpus counts. */
static PyObject *py_linestats_add(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"stats", "hashes", "total", NULL};
    module_state *st = state_of(module);
    PyObject *so, *ho;
    unsigned long long total = 0;
    char *s = NULL;
    Py_ssize_t slen = 0;
    recs h;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|K", kw, &so, &ho, &total) ||
        (so != Py_None && PyBytes_AsStringAndSize(so, &s, &slen)) ||
        recs_from(st, ho, sizeof(uint64_t), &h, "line hashes"))
        return NULL;
    dedup_linestats *ls = NULL;
    unsigned char *out = NULL;
    size_t size = 0, w = 0;
    const char *what = "line statistics";
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = s ? dedup_linestats_deserialize(&ls, s, (size_t)slen)
           : dedup_linestats_create(&ls, lines_width(total));
    if (!rc && (rc = count_hashes(ls, (const uint64_t *)(void *)h.p, h.n)))
        what = "line hashes";
    if (!rc && !(out = malloc(size = dedup_linestats_serialized_size(ls))))
        rc = DEDUP_E_NOMEM;
    if (!rc)
        rc = dedup_linestats_serialize(ls, out, size, &w);
    Py_END_ALLOW_THREADS
    PyObject *result = rc ? status_error(st, rc, what) : bytes_of(out, w, 1);
    free(out);
    free(h.p);
    dedup_linestats_free(ls);
    return result;
}

/* The document records of b's documents, numbered from base, into *rec,
 * and their band records into *br (*nb of them; dedup_batch_bands per
 * document at most). */
static int export_records(const dedup_batch *b, uint64_t base, unsigned char **rec,
                          dedup_band_record **br, size_t *nb)
{
    size_t n = dedup_batch_count(b), rsize = dedup_batch_record_size(b);
    unsigned bands = dedup_batch_bands(b);
    *rec = malloc(n ? n * rsize : 1);
    *br = malloc((n && bands ? n * bands : 1) * sizeof **br);
    *nb = 0;
    if (!*rec || !*br)
        return DEDUP_E_NOMEM;
    int rc = DEDUP_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        rc = dedup_batch_record(b, i, base + i, *rec + i * rsize);
        if (!rc)
            *nb += dedup_batch_band_records(b, *rec + i * rsize, *br + *nb);
    }
    return rc;
}

/* Sign the documents of k with parameters p (and the serialized line
 * statistics stats, slen bytes, when b is on) on threads threads: the
 * tuple (document records numbered from base, band records). */
static PyObject *corpus_records(module_state *st, corpus *k, const dedup_params *p,
                                const char *stats, size_t slen, long b, long threads,
                                uint64_t base)
{
    size_t n = (size_t)k->n, nb = 0;
    unsigned char *rec = NULL;
    dedup_band_record *br = NULL;
    const char *what = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = dedup_batch_create(&k->batch, p);
    if (!rc)
        rc = dedup_batch_resize(k->batch, n);
    if (!rc && b && (rc = dedup_linestats_deserialize(&k->lines, stats, slen)))
        what = "line statistics";
    if (!rc) {
        sign_job job = {.params = p, .lines = k->lines, .min_docs = (uint32_t)b,
                        .batch = k->batch, .docs = k->docs, .n = n,
                        .mu = PTHREAD_MUTEX_INITIALIZER, .site = k->site,
                        .site_len = k->site_len};
        run_threads(sign_worker, &job, threads);
        rc = job.err;
    }
    if (!rc)
        rc = export_records(k->batch, base, &rec, &br, &nb);
    Py_END_ALLOW_THREADS
    size_t rsize = dedup_batch_record_size(k->batch);
    PyObject *result = rc ? status_error(st, rc, what)
                          : Py_BuildValue("(NN)", bytes_of(rec, n, rsize),
                                          bytes_of(br, nb, sizeof *br));
    free(rec);
    free(br);
    return result;
}

/* stage_sign(texts, base, stats=None, threads=0, boilerplate=20, **params)
 * -> (document records, band records): the texts (as cluster() takes
 * them) numbered from base, signed as cluster() signs them; stats are the
 * statistics of the whole corpus (linestats_add), needed when boilerplate
 * is on. */
static PyObject *py_stage_sign(PyObject *module, PyObject *args, PyObject *kwargs)
{
    module_state *st = state_of(module);
    PyObject *texts, *so = Py_None;
    unsigned long long base;
    char *s = NULL;
    Py_ssize_t slen = 0;
    if (!PyArg_ParseTuple(args, "OK|O", &texts, &base, &so))
        return NULL;
    long b = boilerplate_from(st, kwargs, DEDUP_BOILERPLATE_DEFAULT), threads;
    if (b < 0 || (threads = threads_from(st, kwargs)) < 0)
        return NULL;
    if (b && so == Py_None) {
        PyErr_SetString(st->param_error, "boilerplate: the line statistics are needed");
        return NULL;
    }
    if (b && PyBytes_AsStringAndSize(so, &s, &slen))
        return NULL;
    dedup_params *p = params_from(st, kwargs, cluster_skip);
    if (!p)
        return NULL;
    corpus k;
    memset(&k, 0, sizeof k);
    PyObject *sites = kwargs ? PyDict_GetItemString(kwargs, "sites") : NULL;
    PyObject *result = corpus_read(&k, texts) ||
                               (sites && sites != Py_None && corpus_sites(&k, sites))
                           ? NULL
                           : corpus_records(st, &k, p, s, (size_t)slen, b, threads, base);
    corpus_free(&k);
    dedup_params_free(p);
    return result;
}

/* stage_split(bands, nparts) -> list of nparts band records: each band
 * record in part dedup_band_partition(r, nparts), in the order given. */
static PyObject *py_stage_split(PyObject *module, PyObject *args)
{
    module_state *st = state_of(module);
    PyObject *bo;
    Py_ssize_t nparts;
    recs r;
    if (!PyArg_ParseTuple(args, "On", &bo, &nparts) || nparts_ok(st, nparts) ||
        recs_from(st, bo, sizeof(dedup_band_record), &r, "band records"))
        return NULL;
    bucket *out = calloc((size_t)nparts, sizeof *out);
    int rc = out ? DEDUP_OK : DEDUP_E_NOMEM;
    const dedup_band_record *br = (const dedup_band_record *)(void *)r.p;
    Py_BEGIN_ALLOW_THREADS
    for (size_t i = 0; i < r.n && !rc; i++)
        rc = bucket_add(&out[dedup_band_partition(&br[i], (uint32_t)nparts)], &br[i],
                        sizeof *br);
    Py_END_ALLOW_THREADS
    free(r.p);
    if (!out || rc)
        PyErr_NoMemory();
    return out ? buckets_list(out, (size_t)nparts, !rc) : NULL;
}

/* Sort the n elements of size bytes at v by their first 8 bytes read as a
 * uint64_t (a document number; a band record's band and value), 16 bits a
 * pass from the lowest, skipping the passes whose digit every element
 * shares. Elements of equal keys end up side by side. */
static int radix_sort(unsigned char *v, size_t n, size_t size)
{
    size_t(*count)[65536] = calloc(4, sizeof *count);
    unsigned char *tmp = malloc(n ? n * size : 1), *from = v, *to = tmp;
    if (!count || !tmp) {
        free(count);
        free(tmp);
        return DEDUP_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t k = record_number(v + i * size);
        for (int d = 0; d < 4; d++)
            count[d][(k >> 16 * d) & 0xffff]++;
    }
    for (int d = 0; d < 4 && n; d++) {
        if (count[d][(record_number(v) >> 16 * d) & 0xffff] == n)
            continue;
        for (size_t b = 0, at = 0, c; b < 65536; b++, at += c) {
            c = count[d][b];
            count[d][b] = at;
        }
        for (size_t i = 0; i < n; i++) {
            const unsigned char *e = from + i * size;
            memcpy(to + count[d][(record_number(e) >> 16 * d) & 0xffff]++ * size, e, size);
        }
        unsigned char *swap = from;
        from = to;
        to = swap;
    }
    if (from != v)
        memcpy(v, from, n * size);
    free(count);
    free(tmp);
    return DEDUP_OK;
}

/* Sort v[0..*n) and drop repeats, leaving *n. */
static int sort_unique(uint64_t *v, size_t *n)
{
    int rc = radix_sort((unsigned char *)v, *n, sizeof *v);
    size_t w = 0;
    for (size_t i = 0; !rc && i < *n; i++)
        if (!w || v[w - 1] != v[i])
            v[w++] = v[i];
    if (!rc)
        *n = w;
    return rc;
}

/* Keep, in place, the band records of r[0..*n) whose band value two or
 * more records hold (grouped by band value), and put their documents'
 * numbers, sorted, once each, in *need (*nneed of them). */
static int keep_shared(dedup_band_record *r, size_t *n, uint64_t **need, size_t *nneed)
{
    size_t nk = 0;
    int rc = radix_sort((unsigned char *)r, *n, sizeof *r);
    if (rc)
        return rc;
    for (size_t i = 0, e; i < *n; i = e) {
        for (e = i + 1; e < *n && r[e].band == r[i].band && r[e].key == r[i].key; e++)
            ;
        if (e - i >= 2) {
            memmove(r + nk, r + i, (e - i) * sizeof *r);
            nk += e - i;
        }
    }
    *n = nk;
    if (!(*need = malloc((nk ? nk : 1) * sizeof **need)))
        return DEDUP_E_NOMEM;
    for (size_t i = 0; i < nk; i++)
        (*need)[i] = r[i].doc;
    *nneed = nk;
    return sort_unique(*need, nneed);
}

/* stage_keep(bands) -> (band records, numbers): of one partition's band
 * records, those of band values shared by two or more documents, and the
 * numbers of the documents whose records the pair stage then needs. */
static PyObject *py_stage_keep(PyObject *module, PyObject *arg)
{
    module_state *st = state_of(module);
    recs r;
    if (recs_from(st, arg, sizeof(dedup_band_record), &r, "band records"))
        return NULL;
    uint64_t *need = NULL;
    size_t nneed = 0;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = keep_shared((dedup_band_record *)(void *)r.p, &r.n, &need, &nneed);
    Py_END_ALLOW_THREADS
    PyObject *result = rc ? PyErr_NoMemory()
                          : Py_BuildValue("(NN)", bytes_of(r.p, r.n, sizeof(dedup_band_record)),
                                          bytes_of(need, nneed, sizeof *need));
    free(r.p);
    free(need);
    return result;
}

/* The position in r (records of rsize bytes sorted by number) of the
 * record of document d, or SIZE_MAX. */
static size_t record_find(const recs *r, size_t rsize, uint64_t d)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (record_number(r->p + mid * rsize) < d)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n && record_number(r->p + lo * rsize) == d ? lo : SIZE_MAX;
}

/* stage_select(records, wanted, **params) -> list of document records:
 * for each numbers of the sequence wanted, the records among records
 * (sorted by number, as stage_sign gives them) of the documents it names;
 * numbers without a record here are left out. */
static PyObject *py_stage_select(PyObject *module, PyObject *args, PyObject *kwargs)
{
    module_state *st = state_of(module);
    PyObject *ro, *wo, *wt = NULL;
    if (!PyArg_ParseTuple(args, "OO", &ro, &wo) || !(wt = PySequence_Tuple(wo)))
        return NULL;
    dedup_batch *b = stage_batch(st, kwargs, NULL);
    size_t rsize = dedup_batch_record_size(b), nw = (size_t)PyTuple_Size(wt);
    dedup_batch_free(b);
    recs r = {0};
    bucket *out = NULL;
    int rc = DEDUP_OK;
    if (!b || recs_from(st, ro, rsize, &r, "document records"))
        goto done;
    if (!(out = calloc(nw ? nw : 1, sizeof *out))) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t j = 0; j < nw && !rc; j++) {
        recs w;
        if (recs_from(st, PyTuple_GetItem(wt, (Py_ssize_t)j), sizeof(uint64_t), &w, "numbers")) {
            rc = DEDUP_E_FORMAT;
            break;
        }
        const uint64_t *d = (const uint64_t *)(void *)w.p;
        Py_BEGIN_ALLOW_THREADS
        for (size_t i = 0, at; i < w.n && !rc; i++)
            if ((at = record_find(&r, rsize, d[i])) != SIZE_MAX)
                rc = bucket_add(&out[j], r.p + at * rsize, rsize);
        Py_END_ALLOW_THREADS
        free(w.p);
    }
    if (rc == DEDUP_E_NOMEM)
        PyErr_NoMemory();
done:
    free(r.p);
    Py_DECREF(wt);
    return out ? buckets_list(out, nw, !rc) : NULL;
}

/* stage_unsure(bands, **params) -> band records: of one partition's band
 * records (stage_keep's), those of documents their run does not pair with
 * every later member (dedup_batch_stage_unsure). */
static PyObject *py_stage_unsure(PyObject *module, PyObject *args, PyObject *kwargs)
{
    module_state *st = state_of(module);
    PyObject *bo;
    if (!PyArg_ParseTuple(args, "O", &bo))
        return NULL;
    dedup_batch *b = stage_batch(st, kwargs, NULL);
    recs k = {0};
    PyObject *result = NULL;
    if (b && !recs_from(st, bo, sizeof(dedup_band_record), &k, "band records")) {
        dedup_band_record *u = NULL;
        size_t nu = 0;
        int rc;
        Py_BEGIN_ALLOW_THREADS
        rc = dedup_batch_stage_unsure(b, (const dedup_band_record *)(void *)k.p, k.n, &u, &nu);
        Py_END_ALLOW_THREADS
        result = rc ? status_error(st, rc, NULL) : bytes_of(u, nu, sizeof *u);
        dedup_free(u);
    }
    free(k.p);
    dedup_batch_free(b);
    return result;
}

/* stage_pairs(bands, records, unsure=None, **params) -> edges: the
 * verified pairs of one partition's band records (stage_keep's), given the
 * records of every document they name (in any order, repeats allowed) and
 * every partition's stage_unsure records (None: not known). */
static PyObject *py_stage_pairs(PyObject *module, PyObject *args, PyObject *kwargs)
{
    module_state *st = state_of(module);
    PyObject *bo, *ro, *uo = Py_None;
    if (!PyArg_ParseTuple(args, "OO|O", &bo, &ro, &uo))
        return NULL;
    dedup_batch *b = stage_batch(st, kwargs, NULL);
    recs k = {0}, r = {0}, u = {0};
    PyObject *result = NULL;
    if (b && !recs_from(st, bo, sizeof(dedup_band_record), &k, "band records") &&
        !recs_from(st, ro, dedup_batch_record_size(b), &r, "document records") &&
        !recs_from(st, uo, sizeof(dedup_band_record), &u, "unsure records")) {
        dedup_edge *e = NULL;
        size_t ne = 0;
        int rc;
        const dedup_band_record *un =
            uo == Py_None ? NULL : (const dedup_band_record *)(void *)u.p;
        Py_BEGIN_ALLOW_THREADS
        rc = dedup_batch_stage_pairs(b, (const dedup_band_record *)(void *)k.p, k.n, r.p, r.n,
                                     un, un ? u.n : 0, &e, &ne);
        Py_END_ALLOW_THREADS
        result = rc ? status_error(st, rc, NULL) : bytes_of(e, ne, sizeof *e);
        dedup_free(e);
    }
    free(u.p);
    free(k.p);
    free(r.p);
    dedup_batch_free(b);
    return result;
}

/* stage_components(links, edges=None) -> links: the components that the
 * links (from earlier calls) and the edges' pairs form together, as
 * dedup_components gives them: each document once, with the smallest
 * document of its component, sorted by document. Merging parts' links
 * in any grouping gives the components of all their edges. */
static PyObject *py_stage_components(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"links", "edges", NULL};
    module_state *st = state_of(module);
    PyObject *lo, *eo = Py_None;
    recs l = {0}, e = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O", kw, &lo, &eo) ||
        recs_from(st, lo, sizeof(dedup_link), &l, "links") ||
        recs_from(st, eo, sizeof(dedup_edge), &e, "edges")) {
        free(l.p);
        return NULL;
    }
    dedup_link *all = malloc((l.n + e.n ? l.n + e.n : 1) * sizeof *all), *c = NULL;
    size_t nc = 0;
    int rc = all ? DEDUP_OK : DEDUP_E_NOMEM;
    Py_BEGIN_ALLOW_THREADS
    if (all) {
        memcpy(all, l.p, l.n * sizeof *all);
        for (size_t i = 0; i < e.n; i++) {
            dedup_edge x;
            memcpy(&x, e.p + i * sizeof x, sizeof x);
            all[l.n + i] = (dedup_link){x.a, x.b};
        }
        rc = dedup_components(all, l.n + e.n, &c, &nc);
    }
    Py_END_ALLOW_THREADS
    PyObject *result = rc ? status_error(st, rc, NULL) : bytes_of(c, nc, sizeof *c);
    dedup_free(c);
    free(all);
    free(l.p);
    free(e.p);
    return result;
}

/* The position of document d's link in l[0..n) (sorted by doc), or
 * SIZE_MAX when no link names it. */
static size_t link_find(const dedup_link *l, size_t n, uint64_t d)
{
    size_t at = dedup_links_find(l, n, d);
    return at < n && l[at].doc == d ? at : SIZE_MAX;
}

/* The part, below nparts, that assigns the component whose smallest
 * document is root. */
static uint32_t component_part(uint64_t root, uint32_t nparts)
{
    uint64_t x = root * 0x9e3779b97f4a7c15ULL;
    x ^= x >> 29;
    return (uint32_t)(((x >> 32) * nparts) >> 32);
}

/* Records r of unit bytes each, whose first 8 bytes are a document's
 * number (an edge's first document, a document record's own), into
 * nparts buckets: each to the part of its document's component in links
 * l[0..nl). A document that no link names is in no component: its
 * record is left out. */
static int route(const recs *r, size_t unit, const dedup_link *l, size_t nl, uint32_t nparts,
                 bucket *out)
{
    int rc = DEDUP_OK;
    for (size_t i = 0; i < r->n && !rc; i++) {
        const unsigned char *x = r->p + i * unit;
        size_t at = link_find(l, nl, record_number(x));
        if (at != SIZE_MAX)
            rc = bucket_add(&out[component_part(l[at].root, nparts)], x, unit);
    }
    return rc;
}

/* The records ro (unit bytes each; what names them) routed by the links
 * lo into nparts parts, as a list (stage_route_edges, _records). */
static PyObject *routed(module_state *st, PyObject *ro, size_t unit, const char *what,
                        PyObject *lo, Py_ssize_t nparts)
{
    recs r = {0}, l = {0};
    bucket *out = NULL;
    int rc = DEDUP_OK;
    if (recs_from(st, lo, sizeof(dedup_link), &l, "links") ||
        recs_from(st, ro, unit, &r, what))
        goto done;
    if (!(out = calloc((size_t)nparts, sizeof *out))) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    rc = route(&r, unit, (const dedup_link *)(void *)l.p, l.n, (uint32_t)nparts, out);
    Py_END_ALLOW_THREADS
    if (rc)
        PyErr_NoMemory();
done:
    free(r.p);
    free(l.p);
    return out ? buckets_list(out, (size_t)nparts, !rc) : NULL;
}

/* stage_route_edges(edges, links, nparts) -> list of nparts edges: each
 * edge in the part that assigns its component, given the links of every
 * component (stage_components over all edges). */
static PyObject *py_stage_route_edges(PyObject *module, PyObject *args)
{
    module_state *st = state_of(module);
    PyObject *eo, *lo;
    Py_ssize_t nparts;
    if (!PyArg_ParseTuple(args, "OOn", &eo, &lo, &nparts) || nparts_ok(st, nparts))
        return NULL;
    return routed(st, eo, sizeof(dedup_edge), "edges", lo, nparts);
}

/* stage_route_records(records, links, nparts, **params) -> list of nparts
 * document records: the records of the documents of components, each in
 * the part that assigns its component (as stage_route_edges); the others
 * are left out. In transitive mode assignment reads no records: every
 * part is empty. */
static PyObject *py_stage_route_records(PyObject *module, PyObject *args, PyObject *kwargs)
{
    module_state *st = state_of(module);
    PyObject *ro, *lo;
    Py_ssize_t nparts;
    int representative;
    if (!PyArg_ParseTuple(args, "OOn", &ro, &lo, &nparts) || nparts_ok(st, nparts))
        return NULL;
    dedup_batch *b = stage_batch(st, kwargs, &representative);
    if (!b)
        return NULL;
    size_t rsize = dedup_batch_record_size(b);
    dedup_batch_free(b);
    return routed(st, representative ? ro : Py_None, rsize, "document records", lo, nparts);
}

/* stage_assign(edges, records, **params) -> assignments: the clusters of
 * the documents of edges that hold whole components (stage_route_edges'
 * part), given in representative mode the records of every document they
 * name (stage_route_records' part); sorted by document. */
static PyObject *py_stage_assign(PyObject *module, PyObject *args, PyObject *kwargs)
{
    module_state *st = state_of(module);
    PyObject *eo, *ro;
    if (!PyArg_ParseTuple(args, "OO", &eo, &ro))
        return NULL;
    dedup_batch *b = stage_batch(st, kwargs, NULL);
    recs e = {0}, r = {0};
    PyObject *result = NULL;
    if (b && !recs_from(st, eo, sizeof(dedup_edge), &e, "edges") &&
        !recs_from(st, ro, dedup_batch_record_size(b), &r, "document records")) {
        dedup_assignment *a = NULL;
        size_t na = 0;
        int rc;
        Py_BEGIN_ALLOW_THREADS
        rc = dedup_batch_stage_assign(b, r.p, r.n, (const dedup_edge *)(void *)e.p, e.n, &a,
                                      &na);
        Py_END_ALLOW_THREADS
        result = rc ? status_error(st, rc, NULL) : bytes_of(a, na, sizeof *a);
        dedup_free(a);
    }
    free(e.p);
    free(r.p);
    dedup_batch_free(b);
    return result;
}

/* stage_labels(n, assignments) -> list: the cluster of each of n
 * documents, as cluster() gives it: the assignments' (every part's),
 * and each document no assignment names its own. */
static PyObject *py_stage_labels(PyObject *module, PyObject *args)
{
    module_state *st = state_of(module);
    PyObject *ao;
    Py_ssize_t n;
    recs a;
    if (!PyArg_ParseTuple(args, "nO", &n, &ao))
        return NULL;
    if (n < 0) {
        PyErr_SetString(st->param_error, "n: 0 or more");
        return NULL;
    }
    if (recs_from(st, ao, sizeof(dedup_assignment), &a, "assignments"))
        return NULL;
    size_t *label = malloc((n ? (size_t)n : 1) * sizeof *label);
    int rc = label ? DEDUP_OK : DEDUP_E_NOMEM;
    for (size_t i = 0; !rc && i < (size_t)n; i++)
        label[i] = i;
    for (size_t i = 0; !rc && i < a.n; i++) {
        dedup_assignment x;
        memcpy(&x, a.p + i * sizeof x, sizeof x);
        if (x.doc >= (uint64_t)n || x.cluster > x.doc)
            rc = DEDUP_E_RANGE;
        else
            label[x.doc] = (size_t)x.cluster;
    }
    PyObject *list = rc ? status_error(st, rc, "assignments") : PyList_New(n);
    for (Py_ssize_t i = 0; list && i < n; i++) {
        PyObject *v = PyLong_FromSize_t(label[i]);
        if (!v) {
            Py_CLEAR(list);
            break;
        }
        PyList_SetItem(list, i, v);
    }
    free(label);
    free(a.p);
    return list;
}

/* similarity(a, b, **params) -> float */
static PyObject *py_similarity(PyObject *module, PyObject *args, PyObject *kwargs)
{
    module_state *st = state_of(module);
    PyObject *a, *b;
    if (!PyArg_ParseTuple(args, "OO", &a, &b))
        return NULL;
    dedup_params *p = params_from(st, kwargs, NULL);
    if (!p)
        return NULL;
    fields x, y;
    if (fields_from(a, &x)) {
        dedup_params_free(p);
        return NULL;
    }
    if (fields_from(b, &y)) {
        fields_free(&x);
        dedup_params_free(p);
        return NULL;
    }
    dedup_hasher *h = NULL;
    dedup_signature *sa = NULL, *sb = NULL;
    double s = 0;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = dedup_hasher_create(&h, p);
    if (!rc)
        rc = dedup_signature_create(&sa, p);
    if (!rc)
        rc = dedup_signature_create(&sb, p);
    if (!rc)
        rc = dedup_hasher_sign_fields(h, x.f, x.n, sa);
    if (!rc)
        rc = dedup_hasher_sign_fields(h, y.f, y.n, sb);
    if (!rc)
        rc = dedup_signature_similarity(p, sa, sb, &s);
    Py_END_ALLOW_THREADS
    dedup_signature_free(sa);
    dedup_signature_free(sb);
    dedup_hasher_free(h);
    fields_free(&x);
    fields_free(&y);
    dedup_params_free(p);
    return rc ? status_error(st, rc, NULL) : PyFloat_FromDouble(s);
}

/* Each parameter's name -> its value in p, or, with p NULL, (type,
 * lowest, highest). */
static PyObject *params_dict(const dedup_params *p)
{
    PyObject *d = PyDict_New();
    for (int k = 1; d && k < 64; k++) {
        dedup_param key = (dedup_param)k;
        const char *name = dedup_param_name(key);
        if (!name)
            continue;
        PyObject *v;
        if (dedup_param_type_of(key) == DEDUP_PARAM_REAL) {
            double x = 0, lo = 0, hi = 0;
            if (p)
                dedup_params_get_real(p, key, &x);
            else
                dedup_param_bounds_real(key, &lo, &hi);
            v = p ? PyFloat_FromDouble(x) : Py_BuildValue("(sdd)", "real", lo, hi);
        } else {
            int64_t x = 0, lo = 0, hi = 0;
            if (p)
                dedup_params_get(p, key, &x);
            else
                dedup_param_bounds(key, &lo, &hi);
            v = p ? PyLong_FromLongLong((long long)x)
                  : Py_BuildValue("(sLL)", "int", (long long)lo, (long long)hi);
        }
        if (!v || PyDict_SetItemString(d, name, v)) {
            Py_XDECREF(v);
            Py_CLEAR(d);
            break;
        }
        Py_DECREF(v);
    }
    return d;
}

static PyObject *py_param_names(PyObject *module, PyObject *unused)
{
    return params_dict(NULL);
}

#ifdef HAVE_ZSTD
/* zstd_decompress(data: bytes) -> bytes: every frame of data, decompressed
 * (read_jsonl's zstd files). ValueError for corrupt or truncated data. The
 * bytes object stays alive and unchanged while the GIL is released: the
 * caller holds it. */
static PyObject *py_zstd_decompress(PyObject *module, PyObject *arg)
{
    (void)module;
    char *src;
    Py_ssize_t srclen;
    if (PyBytes_AsStringAndSize(arg, &src, &srclen))
        return NULL; /* not bytes */
    /* A frame that states its size (as `zstd FILE` writes it): straight
     * into the bytes object, which no one else sees yet. Frames after it,
     * damage, or no memory for the size it claims: the general way. */
    unsigned long long known = ZSTD_getFrameContentSize(src, (size_t)srclen);
    if (known != ZSTD_CONTENTSIZE_UNKNOWN && known != ZSTD_CONTENTSIZE_ERROR &&
        known <= (unsigned long long)PY_SSIZE_T_MAX) {
        PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)known);
        char *dst = b ? PyBytes_AsString(b) : NULL;
        if (dst) {
            size_t r;
            Py_BEGIN_ALLOW_THREADS
            r = ZSTD_decompress(dst, (size_t)known, src, (size_t)srclen);
            Py_END_ALLOW_THREADS
            if (!ZSTD_isError(r) && r == known)
                return b;
        }
        Py_XDECREF(b);
        PyErr_Clear();
    }
    ZSTD_DStream *ds = ZSTD_createDStream();
    /* Four times the input to start with, doubled as needed, never past
     * what a bytes object can hold. */
    size_t most = (size_t)PY_SSIZE_T_MAX, len = 0, hint = 1;
    size_t cap = (size_t)srclen <= (most - 4096) / 4 ? 4 * (size_t)srclen + 4096 : most;
    char *out = malloc(cap);
    int nomem = !ds || !out;
    const char *bad = NULL;
    Py_BEGIN_ALLOW_THREADS
    ZSTD_inBuffer ib = {src, (size_t)srclen, 0};
    /* Until the input is used up and its last frame is complete. */
    while (!nomem && !bad && (ib.pos < ib.size || hint != 0)) {
        if (len == cap) {
            size_t ncap = cap <= most / 2 ? 2 * cap : most;
            char *n = ncap > cap ? realloc(out, ncap) : NULL;
            if (!n) {
                nomem = 1;
                break;
            }
            out = n;
            cap = ncap;
        }
        ZSTD_outBuffer ob = {out + len, cap - len, 0};
        hint = ZSTD_decompressStream(ds, &ob, &ib);
        len += ob.pos;
        if (ZSTD_isError(hint))
            bad = ZSTD_getErrorName(hint);
        else if (hint != 0 && ib.pos == ib.size && ob.pos < ob.size)
            bad = "truncated"; /* a frame wants input there is not */
    }
    Py_END_ALLOW_THREADS
    PyObject *result = NULL;
    if (nomem)
        PyErr_NoMemory();
    else if (bad)
        PyErr_Format(PyExc_ValueError, "corrupt zstd data (%s)", bad);
    else
        result = PyBytes_FromStringAndSize(out, (Py_ssize_t)len);
    free(out);
    ZSTD_freeDStream(ds);
    return result;
}
#endif

/* site_of(value) -> str: dedup_site_of; a host in ASCII lower case, as
 * the library compares sites, a name of the application's own as it is. */
static PyObject *py_site_of(PyObject *module, PyObject *arg)
{
    (void)module;
    Py_ssize_t len;
    const char *s = PyUnicode_AsUTF8AndSize(arg, &len);
    const char *site;
    size_t n;
    if (!s || dedup_site_of(s, (size_t)len, &site, &n) != DEDUP_OK)
        return NULL; /* not a str (dedup_site_of fails only for NULL) */
    if (site == s && n == (size_t)len) {
        Py_INCREF(arg);
        return arg;
    }
    char *low = PyMem_Malloc(n ? n : 1);
    if (!low)
        return PyErr_NoMemory();
    for (size_t i = 0; i < n; i++)
        low[i] = site[i] >= 'A' && site[i] <= 'Z' ? (char)(site[i] - 'A' + 'a') : site[i];
    PyObject *out = PyUnicode_DecodeUTF8(low, (Py_ssize_t)n, "strict");
    PyMem_Free(low);
    return out;
}

static PyMethodDef module_methods[] = {
#ifdef HAVE_ZSTD
    {"zstd_decompress", py_zstd_decompress, METH_O,
     "zstd_decompress(data) -> bytes: the frames of data decompressed"},
#endif
    {"site_of", py_site_of, METH_O,
     "site_of(value) -> str: the host a URL names (dedup_site_of), in lower case"},
    {"cluster", (PyCFunction)(void (*)(void))py_cluster, METH_VARARGS | METH_KEYWORDS, NULL},
    {"read_jsonl", py_read_jsonl, METH_VARARGS, NULL},
    {"similarity", (PyCFunction)(void (*)(void))py_similarity, METH_VARARGS | METH_KEYWORDS,
     NULL},
    {"param_names", py_param_names, METH_NOARGS, NULL},
    {"explain", (PyCFunction)(void (*)(void))py_explain, METH_VARARGS | METH_KEYWORDS, NULL},
    /* the stages, for dedup.dask (see "stages" above) */
    {"stage_info", (PyCFunction)(void (*)(void))py_stage_info, METH_VARARGS | METH_KEYWORDS,
     "stage_info(threads=0, boilerplate=20, **params) -> dict: the keywords checked"},
    {"line_hashes", (PyCFunction)(void (*)(void))py_line_hashes, METH_VARARGS | METH_KEYWORDS,
     "line_hashes(texts, *, threads=0) -> (documents, text bytes, line hashes)"},
    {"linestats_add", (PyCFunction)(void (*)(void))py_linestats_add,
     METH_VARARGS | METH_KEYWORDS,
     "linestats_add(stats, hashes, total=0) -> statistics with the hashes counted"},
    {"stage_sign", (PyCFunction)(void (*)(void))py_stage_sign, METH_VARARGS | METH_KEYWORDS,
     "stage_sign(texts, base, stats=None, threads=0, boilerplate=20, **params)\n"
     "-> (document records, band records)"},
    {"stage_split", py_stage_split, METH_VARARGS,
     "stage_split(bands, nparts) -> list of band records, by dedup_band_partition"},
    {"stage_keep", py_stage_keep, METH_O,
     "stage_keep(bands) -> (band records of shared values, numbers of their documents)"},
    {"stage_select", (PyCFunction)(void (*)(void))py_stage_select,
     METH_VARARGS | METH_KEYWORDS,
     "stage_select(records, wanted, **params) -> list of the records each numbers names"},
    {"stage_unsure", (PyCFunction)(void (*)(void))py_stage_unsure, METH_VARARGS | METH_KEYWORDS,
     "stage_unsure(bands, **params) -> band records of documents not paired in full"},
    {"stage_pairs", (PyCFunction)(void (*)(void))py_stage_pairs, METH_VARARGS | METH_KEYWORDS,
     "stage_pairs(bands, records, **params) -> edges"},
    {"stage_components", (PyCFunction)(void (*)(void))py_stage_components,
     METH_VARARGS | METH_KEYWORDS, "stage_components(links, edges=None) -> links"},
    {"stage_route_edges", py_stage_route_edges, METH_VARARGS,
     "stage_route_edges(edges, links, nparts) -> list of edges, by component"},
    {"stage_route_records", (PyCFunction)(void (*)(void))py_stage_route_records,
     METH_VARARGS | METH_KEYWORDS,
     "stage_route_records(records, links, nparts, **params) -> list of records, by component"},
    {"stage_assign", (PyCFunction)(void (*)(void))py_stage_assign, METH_VARARGS | METH_KEYWORDS,
     "stage_assign(edges, records, **params) -> assignments"},
    {"stage_labels", py_stage_labels, METH_VARARGS,
     "stage_labels(n, assignments) -> list of each document's cluster"},
    {NULL, NULL, 0, NULL},
};

/* ============================================================= module */

static int add_exception(PyObject *m, PyObject **slot, const char *name, PyObject *bases,
                         const char *doc)
{
    char full[96];
    snprintf(full, sizeof full, "dedup.%s", name);
    *slot = PyErr_NewExceptionWithDoc(full, doc, bases, NULL);
    if (!*slot)
        return -1;
    Py_INCREF(*slot);
    return PyModule_AddObject(m, name, *slot);
}

static int module_exec(PyObject *m)
{
    module_state *st = state_of(m);
    g_state = st;
    if (add_exception(m, &st->error, "Error", NULL,
                      "A libdedup error: args are (message, status code)."))
        return -1;
    PyObject *b;
    b = PyTuple_Pack(2, st->error, PyExc_ValueError);
    if (!b || add_exception(m, &st->param_error, "ParamError", b,
                            "A parameter or argument out of its range."))
        return -1;
    Py_DECREF(b);
    b = PyTuple_Pack(2, st->error, PyExc_ValueError);
    if (!b || add_exception(m, &st->format_error, "FormatError", b,
                            "Damaged, truncated or unsupported serialized data."))
        return -1;
    Py_DECREF(b);
    b = PyTuple_Pack(2, st->error, PyExc_KeyError);
    if (!b || add_exception(m, &st->key_error, "KeyError", b,
                            "A key that is absent, or already present."))
        return -1;
    Py_DECREF(b);
    b = PyTuple_Pack(2, st->error, PyExc_OSError);
    if (!b || add_exception(m, &st->io_error, "IOError", b, "A file could not be read or written."))
        return -1;
    Py_DECREF(b);
    b = PyTuple_Pack(2, st->error, PyExc_ValueError);
    if (!b || add_exception(m, &st->mismatch_error, "MismatchError", b,
                            "Signatures or indexes made with other parameters."))
        return -1;
    Py_DECREF(b);
    st->signature_type = PyType_FromModuleAndSpec(m, &signature_spec, NULL);
    st->hasher_type = PyType_FromModuleAndSpec(m, &hasher_spec, NULL);
    st->index_type = PyType_FromModuleAndSpec(m, &index_spec, NULL);
    if (!st->signature_type || !st->hasher_type || !st->index_type)
        return -1;
    Py_INCREF(st->signature_type);
    Py_INCREF(st->hasher_type);
    Py_INCREF(st->index_type);
    if (PyModule_AddObject(m, "Signature", st->signature_type) ||
        PyModule_AddObject(m, "Hasher", st->hasher_type) ||
        PyModule_AddObject(m, "Index", st->index_type))
        return -1;
    if (PyModule_AddStringConstant(m, "library_version", dedup_version_string()) ||
        PyModule_AddIntConstant(m, "BOILERPLATE_DEFAULT", DEDUP_BOILERPLATE_DEFAULT))
        return -1;
    return 0;
}

static int module_traverse(PyObject *m, visitproc visit, void *arg)
{
    module_state *st = state_of(m);
    Py_VISIT(st->error);
    Py_VISIT(st->format_error);
    Py_VISIT(st->param_error);
    Py_VISIT(st->key_error);
    Py_VISIT(st->io_error);
    Py_VISIT(st->mismatch_error);
    Py_VISIT(st->signature_type);
    Py_VISIT(st->hasher_type);
    Py_VISIT(st->index_type);
    return 0;
}

static int module_clear(PyObject *m)
{
    module_state *st = state_of(m);
    Py_CLEAR(st->error);
    Py_CLEAR(st->format_error);
    Py_CLEAR(st->param_error);
    Py_CLEAR(st->key_error);
    Py_CLEAR(st->io_error);
    Py_CLEAR(st->mismatch_error);
    Py_CLEAR(st->signature_type);
    Py_CLEAR(st->hasher_type);
    Py_CLEAR(st->index_type);
    return 0;
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
    {0, NULL},
};

static PyModuleDef dedup_module = {
    PyModuleDef_HEAD_INIT, "dedup._dedup", "The C core of the dedup package.",
    sizeof(module_state), module_methods, module_slots, module_traverse, module_clear, NULL,
};

PyMODINIT_FUNC PyInit__dedup(void);

PyMODINIT_FUNC PyInit__dedup(void)
{
    return PyModuleDef_Init(&dedup_module);
}
