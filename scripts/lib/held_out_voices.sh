# held_out_voices LANGUAGE: the held-out natural voices of that language, comma-separated, as
# voxtune/demo/natural.py defines them (the one list the evaluation scripts read)
held_out_voices() {
    "${PYTHON:-python3}" -c "import sys
from voxtune.demo.natural import held_out_natural
print(','.join(v.name for v in held_out_natural() if v.language == sys.argv[1]))" "$1"
}
