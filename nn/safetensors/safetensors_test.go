package safetensors

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"transformers/tensor"
)

// file assembles a safetensors file from a raw header string and buffer.
func file(header string, buf []byte) []byte {
	b := make([]byte, 8, 8+len(header)+len(buf))
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	b = append(b, header...)
	return append(b, buf...)
}

// f32s is the little-endian F32 encoding of xs.
func f32s(xs ...float32) []byte {
	b := make([]byte, 4*len(xs))
	for i, x := range xs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func sample() map[string]*tensor.Tensor {
	return map[string]*tensor.Tensor{
		"h.0.attn.c_attn.weight": tensor.New([]float32{1, -2, 3.5, 0, 1e-30, 65504}, 2, 3),
		"ln_f.bias":              tensor.New([]float32{0.25, -0.5}, 2),
		"scalar":                 tensor.New([]float32{7}),
		"empty":                  tensor.New([]float32{}, 0, 4),
	}
}

func sameTensors(t *testing.T, got, want map[string]*tensor.Tensor) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d tensors, want %d", len(got), len(want))
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Fatalf("missing tensor %q", name)
		}
		if !tensor.SameShape(g.Shape, w.Shape) {
			t.Fatalf("%s: shape %v, want %v", name, g.Shape, w.Shape)
		}
		for i := range w.Data {
			if math.Float32bits(g.Data[i]) != math.Float32bits(w.Data[i]) {
				t.Fatalf("%s[%d] = %g, want %g", name, i, g.Data[i], w.Data[i])
			}
		}
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	meta := map[string]string{"n_layer": "2", "note": "tiny"}
	if err := Write(path, sample(), meta); err != nil {
		t.Fatal(err)
	}
	got, gotMeta, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, got, sample())
	if len(gotMeta) != 2 || gotMeta["n_layer"] != "2" || gotMeta["note"] != "tiny" {
		t.Errorf("metadata = %v, want %v", gotMeta, meta)
	}
	// Overwriting goes through a temporary file and leaves nothing behind.
	if err := Write(path, map[string]*tensor.Tensor{"x": tensor.Ones(3)}, nil); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries after two writes, want 1", len(ents))
	}
	got, gotMeta, err = Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || gotMeta != nil {
		t.Errorf("after overwrite: %d tensors, metadata %v", len(got), gotMeta)
	}
}

func TestEncodeLayout(t *testing.T) {
	b, err := Encode(map[string]*tensor.Tensor{
		"b": tensor.New([]float32{3}, 1),
		"a": tensor.New([]float32{1, 2}, 2),
	}, map[string]string{"k": "v"}, F32)
	if err != nil {
		t.Fatal(err)
	}
	hdr := `{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`
	for len(hdr)%8 != 0 {
		hdr += " "
	}
	want := file(hdr, f32s(1, 2, 3))
	if string(b) != string(want) {
		t.Errorf("Encode =\n%q\nwant\n%q", b, want)
	}
	if (len(b)-8-12)%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", len(b)-8-12)
	}
}

func TestHalfPrecisionRoundTrip(t *testing.T) {
	in := map[string]*tensor.Tensor{"w": tensor.New([]float32{1, -2, 0.5, 3.140625, float32(math.Ldexp(1, -24)), 65504}, 3, 2)}
	for _, dt := range []DType{F16, BF16} {
		t.Run(string(dt), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "half.safetensors")
			if err := WriteAs(path, in, nil, dt); err != nil {
				t.Fatal(err)
			}
			st, _ := os.Stat(path)
			hdr := mustHeaderLen(t, path)
			if got := st.Size() - 8 - hdr; got != 12 {
				t.Errorf("buffer is %d bytes, want 12 (2 bytes per element)", got)
			}
			got, _, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			w := in["w"].Clone()
			for i, x := range w.Data {
				if dt == F16 {
					w.Data[i] = F16ToF32(F32ToF16(x))
				} else {
					w.Data[i] = BF16ToF32(F32ToBF16(x))
				}
			}
			sameTensors(t, got, map[string]*tensor.Tensor{"w": w})
		})
	}
}

func mustHeaderLen(t *testing.T, path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return int64(binary.LittleEndian.Uint64(b))
}

// Hand-built F16 and BF16 files decode to the hand-computed values.
func TestDecodeHalf(t *testing.T) {
	hdr := `{"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]}}`
	buf := []byte{
		0x00, 0x3c, // 1.0
		0x00, 0xc0, // -2.0
		0x01, 0x00, // 2⁻²⁴
		0x00, 0x7c, // +Inf
		0x80, 0x3f, // 1.0
		0x49, 0x40, // 3.140625
	}
	ts, meta, err := Decode(file(hdr, buf))
	if err != nil {
		t.Fatal(err)
	}
	if meta != nil {
		t.Errorf("metadata = %v, want nil", meta)
	}
	sameTensors(t, ts, map[string]*tensor.Tensor{
		"a": tensor.New([]float32{1, -2, float32(math.Ldexp(1, -24)), float32(math.Inf(1))}, 4),
		"b": tensor.New([]float32{1, 3.140625}, 2),
	})
}

func TestDecodeErrors(t *testing.T) {
	good := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`
	buf := f32s(1, 2, 3)
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint64(huge, math.MaxUint64)
	tests := []struct {
		name string
		data []byte
		want string // substring of the error
	}{
		{"empty", nil, "truncated"},
		{"short length", []byte{1, 2, 3}, "truncated"},
		{"header longer than file", file(good, buf)[:40], "exceeds"},
		{"huge header length", append(huge, '{', '}'), "exceeds the limit"},
		{"truncated buffer", file(good, buf)[:len(file(good, buf))-1], "out of range"},
		{"trailing bytes", file(good, append(f32s(1, 2, 3), 0, 0, 0, 0)), "trailing"},
		{"malformed JSON", file(`{"a":{"dtype":"F32",`, nil), "JSON"},
		{"not an object", file(`[1,2]`, nil), "not a JSON object"},
		{"trailing JSON", file(`{}{}`, nil), "trailing"},
		{"entry not an object", file(`{"a":3}`, nil), `tensor "a"`},
		{"missing offsets", file(`{"a":{"dtype":"F32","shape":[0]}}`, nil), "data_offsets"},
		{"one offset", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0]}}`, nil), "2 elements"},
		{"negative offset", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, f32s(1)), "out of range"},
		{"end before begin", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}`, f32s(1)), "out of range"},
		{"offset past end", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,400]}}`, f32s(1)), "out of range"},
		{"gap", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32s(1, 2)), "gap"},
		{"overlap", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32s(1, 2)), "overlap"},
		{"shape mismatch", file(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, f32s(1, 2, 3, 4)), "needs 12 bytes"},
		{"negative dim", file(`{"a":{"dtype":"F32","shape":[-1,-2],"data_offsets":[0,8]}}`, f32s(1, 2)), "shape"},
		{"overflowing shape", file(`{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}`, nil), "larger than"},
		{"fractional dim", file(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, f32s(1)), `tensor "a"`},
		{"unknown dtype", file(`{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, f32s(1, 2)), `unsupported dtype "F64"`},
		{"duplicate name", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}`, nil), "duplicate"},
		{"bad metadata", file(`{"__metadata__":{"k":1}}`, nil), "__metadata__"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Decode(tc.data)
			if err == nil {
				t.Fatal("Decode succeeded, want an error")
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("error %v does not wrap ErrFormat", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	// The good file itself decodes, so the cases above fail for their own reason.
	if _, _, err := Decode(file(good, buf)); err != nil {
		t.Fatalf("good file: %v", err)
	}
}

func TestReadErrorNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.safetensors")
	if err := os.WriteFile(path, file(`{"w":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}}`, []byte{1}), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := Read(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `"w"`) {
		t.Errorf("Read error = %v, want one naming %s and tensor \"w\"", err, path)
	}
	_, _, err = Read(filepath.Join(t.TempDir(), "missing.safetensors"))
	if err == nil || !strings.Contains(err.Error(), "missing.safetensors") {
		t.Errorf("Read of a missing file: %v", err)
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		tensors map[string]*tensor.Tensor
		dtype   DType
	}{
		{"reserved name", map[string]*tensor.Tensor{"__metadata__": tensor.Ones(1)}, F32},
		{"nil tensor", map[string]*tensor.Tensor{"a": nil}, F32},
		{"inconsistent tensor", map[string]*tensor.Tensor{"a": {Shape: []int{3}, Data: []float32{1}}}, F32},
		{"unsupported dtype", map[string]*tensor.Tensor{"a": tensor.Ones(1)}, "F64"},
	}
	for _, tc := range tests {
		if _, err := Encode(tc.tensors, nil, tc.dtype); err == nil {
			t.Errorf("%s: Encode succeeded, want an error", tc.name)
		}
	}
	bad := filepath.Join(t.TempDir(), "no", "such", "dir", "x.safetensors")
	if err := Write(bad, sample(), nil); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("Write into a missing directory: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, dt := range []DType{F32, F16, BF16} {
		b, err := Encode(sample(), map[string]string{"a": "b"}, dt)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(file(`{}`, nil))
	f.Add(file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32s(1, 2)))
	f.Add(file(`{"a":{"dtype":"F16","shape":[2,0],"data_offsets":[0,0]}}`, nil))
	f.Add(file(`{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}`, nil))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{'})
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, meta, err := Decode(b)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode (as F32) and decode to the same thing.
		for name, x := range ts {
			if len(x.Data) != tensor.Numel(x.Shape) {
				t.Fatalf("%s: shape %v with %d elements", name, x.Shape, len(x.Data))
			}
		}
		if _, ok := ts[metadataKey]; ok {
			return // a tensor literally named __metadata__ cannot exist; Decode never returns one
		}
		enc, err := Encode(ts, meta, F32)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		ts2, _, err := Decode(enc)
		if err != nil {
			t.Fatalf("decode of re-encoded file: %v", err)
		}
		sameTensors(t, ts2, ts)
	})
}
