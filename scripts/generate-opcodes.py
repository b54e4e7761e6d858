"""Writes this interpreter's opcode table as JSON, for sampler/opcodes/<major.minor>.json.

Run it with each supported Python (3.8-3.10 have no specialised or instrumented
instructions and no inline caches, so theirs is just the base table): opcode numbers,
specialised forms and their numbering change with every minor version, so a profiler of
other Pythons must carry each version's own table instead of guessing.

Output: {"version": "3.X", "names": {op: name}, "deopt": {op: base op}} where `names` holds
every opcode the interpreter can have in its bytecode (base, specialised, instrumented)
`deopt` maps each specialised opcode to the base opcode it stands in for, and `caches`
gives the inline cache words that follow each base instruction.

    for py in python3.8 python3.9 python3.10 python3.11 python3.12 python3.13 python3.14 python3.15; do
        $py scripts/generate-opcodes.py > sampler/opcodes/$($py -c 'import sys; print("%d.%d" % sys.version_info[:2])').json
    done
"""
import dis
import json
import opcode
import sys


def specializations():
    if sys.version_info < (3, 11):
        return {}  # No specialising interpreter before 3.11.
    # 3.13+ keep the families in _opcode_metadata (re-exported by opcode); 3.11/3.12 in opcode.
    families = getattr(opcode, "_specializations", None)
    if families is None:
        import _opcode_metadata
        families = _opcode_metadata._specializations
    return families


def specialized_opmap():
    if sys.version_info < (3, 11):
        return {}
    mapping = getattr(opcode, "_specialized_opmap", None)
    if mapping is not None:
        return dict(mapping)
    # 3.11/3.12: dis numbers the specialised forms in the unused slots, as the interpreter does.
    mapping = {}
    for name, number in getattr(dis, "_all_opmap", {}).items():
        if name not in opcode.opmap:
            mapping[name] = number
    if mapping:
        return mapping
    # 3.11 without _all_opmap: specialised forms fill the free slots in order.
    free = [number for number, name in enumerate(opcode.opname) if name.startswith("<")]
    for name, number in zip(opcode._specialized_instructions, free):
        mapping[name] = number
    return mapping


def main():
    names = {}
    for number, name in enumerate(opcode.opname):
        if not name.startswith("<"):
            names[number] = name
    special = specialized_opmap()
    for name, number in special.items():
        names[number] = name
    deopt = {}
    for base, family in specializations().items():
        base_number = opcode.opmap.get(base, special.get(base))
        for name in family:
            number = opcode.opmap.get(name, special.get(name))
            if number is not None and number != base_number and base_number is not None:
                deopt[number] = base_number
    # Inline cache words after each base instruction (a specialised form has its base's):
    # 3.11/3.12 leave a calling frame's prev_instr on the last of them.
    entries = getattr(opcode, "_inline_cache_entries", {})
    if isinstance(entries, dict):
        caches = {opcode.opmap[name]: count for name, count in entries.items() if count and name in opcode.opmap}
    else:
        caches = {number: count for number, count in enumerate(entries) if count}
    table = {
        "version": "%d.%d" % sys.version_info[:2],
        "names": {str(number): names[number] for number in sorted(names)},
        "deopt": {str(number): deopt[number] for number in sorted(deopt)},
        "caches": {str(number): caches[number] for number in sorted(caches)},
    }
    json.dump(table, sys.stdout, indent="\t")
    sys.stdout.write("\n")


main()
