/*
 * json.cpp - field extraction from JSON lines for the dedup tool, on top of
 * simdjson's DOM parser, behind the C interface of json.h.
 *
 * Why simdjson, and why its DOM parser: bench-json measures jansson, cJSON
 * and simdjson on generated news-like records of about 3 KB; only simdjson
 * parses well above the 750 MB/s the tool's budget asks for. The DOM parser
 * validates the whole line (the on-demand parser would skip over the fields
 * we do not read without checking them), so a malformed line is always
 * reported, whichever field is broken.
 *
 * simdjson refuses invalid UTF-8, while the tool must accept it and count it
 * (the library replaces invalid sequences by U+FFFD too). On that error the
 * line is copied with each invalid sequence replaced, and parsed again: the
 * slow path costs nothing for valid input.
 */
#include "json.h"

#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

static_assert(CLI_JSON_PADDING >= simdjson::SIMDJSON_PADDING,
              "CLI_JSON_PADDING must cover simdjson's padding");

struct cli_json {
    simdjson::dom::parser parser;
    std::vector<char> fixed;              /* the line with invalid UTF-8 replaced */
    std::vector<std::string> numbers;     /* text of number fields */
};

extern "C" cli_json *cli_json_create(void)
{
    return new (std::nothrow) cli_json();
}

extern "C" void cli_json_free(cli_json *j)
{
    delete j;
}

/* Length of the valid UTF-8 sequence starting at s[0] (n bytes left), or 0
 * if it is invalid; *skip then receives the length of the maximal subpart to
 * replace, following the Unicode recommendation (as the library does). */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *skip)
{
    unsigned c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    *skip = 1;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        unsigned b = i < n ? s[i] : 0;
        unsigned l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (i >= n || b < l || b > h) {
            *skip = i;
            return 0;
        }
    }
    return len;
}

extern "C" size_t cli_utf8_sanitize(char *dst, const char *src, size_t n, size_t *count)
{
    const unsigned char *s = reinterpret_cast<const unsigned char *>(src);
    size_t i = 0, o = 0;
    while (i < n) {
        size_t skip, len = utf8_seq(s + i, n - i, &skip);
        if (len) {
            memcpy(dst + o, s + i, len);
            o += len;
            i += len;
        } else {
            dst[o++] = '\xEF';
            dst[o++] = '\xBF';
            dst[o++] = '\xBD';
            i += skip;
            ++*count;
        }
    }
    return o;
}

static int fill(cli_json *j, simdjson::dom::element doc, cli_json_field *fields,
                size_t nfields, const char **what)
{
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) {
        *what = "not a JSON object";
        return CLI_JSON_ENOTOBJ;
    }
    if (j->numbers.size() < nfields)
        j->numbers.resize(nfields);
    for (size_t i = 0; i < nfields; i++)
        fields[i].type = CLI_JSON_MISSING;
    size_t found = 0;
    for (simdjson::dom::key_value_pair kv : obj) {
        for (size_t i = 0; i < nfields; i++) {
            cli_json_field *f = &fields[i];
            if (f->type != CLI_JSON_MISSING || kv.key != f->name)
                continue;
            simdjson::dom::element v = kv.value;
            char num[64];
            switch (v.type()) {
            case simdjson::dom::element_type::STRING: {
                std::string_view sv = v.get_string().value_unsafe();
                f->type = CLI_JSON_STRING;
                f->value = sv.data();
                f->len = sv.size();
                break;
            }
            case simdjson::dom::element_type::INT64: {
                int64_t x = v.get_int64().value_unsafe();
                snprintf(num, sizeof num, "%lld", static_cast<long long>(x));
                f->num = static_cast<double>(x);
                goto number;
            }
            case simdjson::dom::element_type::UINT64: {
                uint64_t x = v.get_uint64().value_unsafe();
                snprintf(num, sizeof num, "%llu", static_cast<unsigned long long>(x));
                f->num = static_cast<double>(x);
                goto number;
            }
            case simdjson::dom::element_type::DOUBLE: {
                double x = v.get_double().value_unsafe();
                /* The shortest form that reads back as the same number:
                 * 0.1 stays 0.1, not 0.10000000000000001. */
                for (int prec = 1; prec <= 17; prec++) {
                    snprintf(num, sizeof num, "%.*g", prec, x);
                    if (strtod(num, nullptr) == x)
                        break;
                }
                f->num = x;
                goto number;
            }
            number:
                j->numbers[i].assign(num);
                f->type = CLI_JSON_NUMBER;
                f->value = j->numbers[i].data();
                f->len = j->numbers[i].size();
                break;
            case simdjson::dom::element_type::NULL_VALUE:
                f->type = CLI_JSON_NULL;
                break;
            default:
                f->type = CLI_JSON_OTHER;
                break;
            }
            found++;
            break;
        }
        if (found == nfields)
            break;
    }
    return CLI_JSON_OK;
}

extern "C" int cli_json_extract(cli_json *j, const char *text, size_t len,
                                cli_json_field *fields, size_t nfields, size_t *replaced,
                                const char **what)
{
    try {
        simdjson::dom::element doc;
        auto err = j->parser.parse(text, len, false).get(doc);
        if (err == simdjson::UTF8_ERROR) {
            j->fixed.resize(3 * len + CLI_JSON_PADDING);
            size_t n = cli_utf8_sanitize(j->fixed.data(), text, len, replaced);
            err = j->parser.parse(j->fixed.data(), n, false).get(doc);
        }
        if (err == simdjson::MEMALLOC) {
            *what = "out of memory";
            return CLI_JSON_ENOMEM;
        }
        if (err) {
            *what = simdjson::error_message(err);
            return CLI_JSON_ESYNTAX;
        }
        return fill(j, doc, fields, nfields, what);
    } catch (const std::bad_alloc &) {
        *what = "out of memory";
        return CLI_JSON_ENOMEM;
    }
}
