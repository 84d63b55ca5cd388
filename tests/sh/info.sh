# `mnistlab info` on good and malformed IDX files: one clear line, non-zero exit, no crash.
. tests/sh/lib.sh
D="$TMP"
ok "info on the bundled images" "$MNISTLAB" info data/mnist/t10k-images-idx3-ubyte.gz
"$MNISTLAB" info data/mnist/t10k-images-idx3-ubyte.gz > "$TMP/o" 2>&1
check "info prints type and shape" 'grep -q "IDX (gzip), unsigned byte, 3 dimensions, shape (10000, 28, 28)" "$TMP/o"'

good() { printf '\0\0\10\2\0\0\0\2\0\0\0\3\1\2\3\4\5\6'; }
printf '' > "$D/empty.idx"
good | head -c 7 > "$D/truncated-header.idx"
good | head -c 15 > "$D/truncated-data.idx"
printf 'PK\3\4\0\0\0\0' > "$D/wrong-magic.idx"
printf '\0\0\7\2\0\0\0\2\0\0\0\3\1\2\3\4\5\6' > "$D/wrong-dtype.idx"
printf '\0\0\10\4\0\1\0\0\0\1\0\0\0\1\0\0\0\1\0\0' > "$D/overflow.idx"
printf '\0\0\10\2\0\0\1\0\0\0\1\0\1\2\3' > "$D/lying.idx"
{ good; printf 'tail'; } > "$D/trailing.idx"
good | gzip -c > "$D/ok.idx.gz"
head -c 20 "$D/ok.idx.gz" > "$D/cut.idx.gz"
{ cat "$D/ok.idx.gz"; printf 'garbage'; } > "$D/gz-trailing.idx.gz"
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[-7]^=0xff; open(sys.argv[2],"wb").write(b)' "$D/ok.idx.gz" "$D/gz-crc.idx.gz"
printf '\37\213\10\0\0\0\0\0\0\3garbagegarbage' > "$D/gz-corrupt.idx.gz"

ok "a valid small file" "$MNISTLAB" info "$D/ok.idx.gz"
for f in empty:truncated truncated-header:truncated truncated-data:truncated wrong-magic:"bad magic" \
         wrong-dtype:"unknown data type" overflow:"dimensions overflow" lying:"truncated: the header declares" \
         trailing:"trailing data" cut:"corrupt gzip" gz-trailing:"trailing garbage" gz-crc:"corrupt gzip" \
         gz-corrupt:"corrupt gzip"; do
    name=${f%%:*}; pat=${f#*:}
    path=$(ls "$D/$name".idx* | head -n 1)
    expect_fail_with "info refuses $name" "$path: .*$pat" "$MNISTLAB" info "$path"
    "$MNISTLAB" info "$path" > "$TMP/o" 2>&1
    check "one line for $name" '[ "$(wc -l < "$TMP/o")" -eq 1 ]'
done
expect_fail_with "info on a missing file" "No such file" "$MNISTLAB" info "$D/none.idx"
expect_fail_with "info without a file" "expected a file name" "$MNISTLAB" info
