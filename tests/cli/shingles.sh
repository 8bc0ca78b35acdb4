#!/bin/bash
# Tests of `dedup shingles` and of the options every subcommand shares:
# --help, --version, usage errors and exit codes.
. "$(dirname "$0")/lib.sh"

printf '{"id":"a","text":"One two three four five six"}\n' > one.jsonl
"$DEDUP" shingles --shingle-size 5 one.jsonl > out.tsv
ok $? "shingles exits 0"
is "$(grep -c '^token' out.tsv)" 6 "six tokens"
is "$(grep -c '^shingle' out.tsv)" 2 "two 5-word shingles of six tokens"
is "$(grep '^doc' out.tsv)" "$(printf 'doc\ta\t6\t2')" "doc line with the counts"
is "$(grep '^norm' out.tsv | cut -f3)" "one two three four five six" "text is normalized (case folded)"
is "$(grep '^token' out.tsv | sed -n 3p | cut -f1-4)" "$(printf 'token\ta\t2\tthree')" \
    "token line: id, position, text"
grep '^shingle' out.tsv | cut -f4 | grep -qvE '^[0-9a-f]{16}$'
ok $((! $?)) "shingle hashes are 16 hex digits"

"$DEDUP" shingles --shingle-size 3 --no-tokens one.jsonl > out3.tsv
is "$(grep -c '^shingle' out3.tsv)" 4 "--shingle-size 3: four shingles"
is "$(grep -c '^token' out3.tsv)" 0 "--no-tokens leaves out tokens"

# Same hashes from stdin, gzip, plain lines.
gzip -c one.jsonl | "$DEDUP" shingles --shingle-size 5 - > gz.tsv
cmp -s out.tsv gz.tsv
ok $? "gzip on stdin gives the same output"
printf 'One two three four five six\n' | "$DEDUP" shingles --shingle-size 5 --input-format lines > l.tsv
is "$(grep '^shingle' l.tsv | cut -f4)" "$(grep '^shingle' out.tsv | cut -f4)" \
    "lines input: same shingles"
is "$(grep '^doc' l.tsv | cut -f2)" 1 "lines input: id is the line number"

# Chinese text takes character shingles.
printf '{"id":1,"text":"北京今天下雨了雨很大"}\n' | "$DEDUP" shingles > zh.tsv
is "$(grep -c '^token' zh.tsv)" 10 "Chinese: one token per character"
is "$(grep -c '^shingle' zh.tsv)" 3 "Chinese: 8-character shingles"
# Korean takes shorter ones: its words end in syllables that copies edit.
printf '{"id":1,"text":"서울에 비가 온다"}\n' | "$DEDUP" shingles > ko.tsv
is "$(grep -c '^token' ko.tsv)" 7 "Korean: one token per syllable"
is "$(grep -c '^shingle' ko.tsv)" 3 "Korean: 5-syllable shingles"

# Help, version, usage errors.
"$DEDUP" --version | grep -qE '^dedup [0-9]+\.[0-9]+\.[0-9]+ \(libdedup'
ok $? "--version prints the versions"
for cmd in cluster shingles; do
    "$DEDUP" $cmd --help | grep -q "Usage: dedup $cmd"
    ok $? "$cmd --help"
done
"$DEDUP" > /dev/null 2>&1
is $? 2 "no command: exit 2"
"$DEDUP" frobnicate > /dev/null 2> err.txt
is $? 2 "unknown command: exit 2"
contains err.txt "unknown command 'frobnicate'" "unknown command is named"
"$DEDUP" shingles --bogus one.jsonl > /dev/null 2> err.txt
is $? 2 "unknown option: exit 2"
contains err.txt "--help" "usage error points to --help"
"$DEDUP" shingles --shingle-size 0 one.jsonl > /dev/null 2> err.txt
is $? 2 "--shingle-size 0: exit 2"
"$DEDUP" shingles --input-format xml one.jsonl > /dev/null 2>&1
is $? 2 "bad --input-format: exit 2"
"$DEDUP" shingles missing-file.jsonl > /dev/null 2> err.txt
is $? 3 "unreadable file: exit 3"
contains err.txt "missing-file.jsonl" "the message names the file"

# A list of links is not part of what is compared, nor of what is shown.
printf '{"id":"l","text":"The council met on Monday.\\nMost read\\n- One headline here\\n- Two headline there"}\n' > list.jsonl
"$DEDUP" shingles list.jsonl > list.tsv
is "$(grep '^norm' list.tsv | cut -f3)" "the council met on monday." "the list and its heading are not shown"
is "$(grep '^doc' list.tsv | cut -f3)" 5 "nor tokenized"

# Bad input data: file:line and exit 1; --on-error=skip goes on.
printf '{"id":1,"text":"fine text here"}\n{"id":2,"text":\n{"id":3,"txt":"x"}\n{"id":4,"text":7}\n' > bad.jsonl
"$DEDUP" shingles bad.jsonl > /dev/null 2> err.txt
is $? 1 "malformed JSON: exit 1"
contains err.txt "bad.jsonl:2: malformed JSON" "message has file:line"
"$DEDUP" shingles --on-error=skip bad.jsonl > skip.tsv 2> err.txt
is $? 0 "--on-error=skip: exit 0"
is "$(grep -c '^doc' skip.tsv)" 1 "--on-error=skip keeps the good line only"

done_testing
