"""What a kernel's BTF (/sys/kernel/btf/vmlinux) declares, read here without libbpf: the tests'
own view of the kernel, to check memreap doctor's against."""
import struct

# Bytes after the 12-byte btf_type record, by kind: (fixed, per vlen entry).
EXTRA = {1: (4, 0), 3: (12, 0), 4: (0, 12), 5: (0, 12), 6: (0, 8), 13: (0, 8), 14: (4, 0),
         15: (0, 12), 17: (4, 0), 19: (0, 12)}
PTR, STRUCT, TYPEDEF, FUNC, FUNC_PROTO = 2, 4, 8, 12, 13


class KernelBTF:
    def __init__(self, path="/sys/kernel/btf/vmlinux"):
        with open(path, "rb") as f:
            data = f.read()
        magic, _, _, hdr_len, type_off, type_len, str_off, _ = struct.unpack_from("<HBBIIIII",
                                                                                  data)
        if magic != 0xEB9F:
            raise ValueError(f"{path}: not BTF")
        self.strings = data[hdr_len + str_off:]
        self.types = [None]  # id 0 is void: (kind, name, type, offset of its entries, vlen)
        self.by_name = {}
        pos, end = hdr_len + type_off, hdr_len + type_off + type_len
        while pos < end:
            name_off, info, size_or_type = struct.unpack_from("<III", data, pos)
            kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
            name = self.name(name_off)
            self.types.append((kind, name, size_or_type, pos + 12, vlen))
            if name:
                self.by_name.setdefault((kind, name), len(self.types) - 1)
            fixed, each = EXTRA.get(kind, (0, 0))
            pos += 12 + fixed + each * vlen
        self.data = data

    def name(self, off):
        return self.strings[off:self.strings.index(b"\0", off)].decode()

    def has(self, kind, name):
        return (kind, name) in self.by_name

    def tracepoint_nargs(self, tp):
        """The arguments raw tracepoint tp passes (None if the kernel has no such tracepoint)."""
        tid = self.by_name.get((TYPEDEF, "btf_trace_" + tp))
        if tid is None:
            return None
        ptr = self.types[self.types[tid][2]]
        proto = self.types[ptr[2]]
        assert ptr[0] == PTR and proto[0] == FUNC_PROTO, tp
        return proto[4] - 1  # the first is the context

    def members(self, struct_name):
        kind, _, _, pos, vlen = self.types[self.by_name[(STRUCT, struct_name)]]
        return [self.name(struct.unpack_from("<I", self.data, pos + 12 * i)[0])
                for i in range(vlen)]
