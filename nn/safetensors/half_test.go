package safetensors

import (
	"math"
	"testing"
)

func TestF16ToF32(t *testing.T) {
	tests := []struct {
		name string
		h    uint16
		want float32
	}{
		{"one", 0x3c00, 1},
		{"minus two", 0xc000, -2},
		{"one and a half", 0x3e00, 1.5},
		{"third", 0x3555, 0.333251953125},
		{"max finite", 0x7bff, 65504},
		{"smallest normal", 0x0400, float32(math.Ldexp(1, -14))},
		{"smallest subnormal", 0x0001, float32(math.Ldexp(1, -24))},
		{"largest subnormal", 0x03ff, float32(math.Ldexp(1023, -24))},
		{"subnormal 0x0200", 0x0200, float32(math.Ldexp(1, -15))},
		{"negative subnormal", 0x8003, float32(-math.Ldexp(3, -24))},
		{"zero", 0x0000, 0},
		{"inf", 0x7c00, float32(math.Inf(1))},
		{"-inf", 0xfc00, float32(math.Inf(-1))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := F16ToF32(tc.h); got != tc.want {
				t.Errorf("F16ToF32(%#04x) = %g, want %g", tc.h, got, tc.want)
			}
		})
	}
	if got := F16ToF32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("F16ToF32(0x8000) = %g, want -0", got)
	}
	for _, h := range []uint16{0x7e00, 0x7c01, 0xfe00} {
		if got := F16ToF32(h); !math.IsNaN(float64(got)) {
			t.Errorf("F16ToF32(%#04x) = %g, want NaN", h, got)
		}
	}
}

func TestF32ToF16(t *testing.T) {
	tests := []struct {
		name string
		f    float32
		want uint16
	}{
		{"one", 1, 0x3c00},
		{"third rounds to nearest", 1.0 / 3, 0x3555},
		{"tie rounds to even (down)", float32(1 + math.Ldexp(1, -11)), 0x3c00},
		{"tie rounds to even (up)", float32(1 + 3*math.Ldexp(1, -11)), 0x3c02},
		{"max finite", 65504, 0x7bff},
		{"just below overflow", 65519, 0x7bff},
		{"overflow tie to inf", 65520, 0x7c00},
		{"huge", 1e10, 0x7c00},
		{"-huge", -1e10, 0xfc00},
		{"smallest subnormal", float32(math.Ldexp(1, -24)), 0x0001},
		{"half smallest subnormal ties to zero", float32(math.Ldexp(1, -25)), 0x0000},
		{"just above half smallest subnormal", float32(math.Ldexp(1.0001, -25)), 0x0001},
		{"three halves subnormal ties to even", float32(math.Ldexp(3, -25)), 0x0002},
		{"subnormal rounds up into normal", float32(math.Ldexp(1023.75, -24)), 0x0400},
		{"tiny", 1e-30, 0x0000},
		{"-tiny", -1e-30, 0x8000},
		{"inf", float32(math.Inf(1)), 0x7c00},
		{"-inf", float32(math.Inf(-1)), 0xfc00},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := F32ToF16(tc.f); got != tc.want {
				t.Errorf("F32ToF16(%g) = %#04x, want %#04x", tc.f, got, tc.want)
			}
		})
	}
	if got := F32ToF16(float32(math.NaN())); got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
		t.Errorf("F32ToF16(NaN) = %#04x, want a NaN pattern", got)
	}
}

// Every non-NaN half survives a trip through float32 unchanged.
func TestHalfRoundTripExhaustive(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		if f := F16ToF32(h); !math.IsNaN(float64(f)) {
			if back := F32ToF16(f); back != h {
				t.Fatalf("F16 %#04x -> %g -> %#04x", h, f, back)
			}
		}
		if f := BF16ToF32(h); !math.IsNaN(float64(f)) {
			if back := F32ToBF16(f); back != h {
				t.Fatalf("BF16 %#04x -> %g -> %#04x", h, f, back)
			}
		}
	}
}

func TestBF16(t *testing.T) {
	from := []struct {
		h    uint16
		want float32
	}{
		{0x3f80, 1},
		{0xc040, -3},
		{0x4049, 3.140625},
		{0x7f80, float32(math.Inf(1))},
		{0x0001, math.Float32frombits(0x00010000)}, // smallest subnormal, 2⁻¹³³
	}
	for _, tc := range from {
		if got := BF16ToF32(tc.h); got != tc.want {
			t.Errorf("BF16ToF32(%#04x) = %g, want %g", tc.h, got, tc.want)
		}
	}
	to := []struct {
		f    float32
		want uint16
	}{
		{1, 0x3f80},
		{math.Pi, 0x4049},
		{math.Float32frombits(0x3f808000), 0x3f80}, // tie, even stays
		{math.Float32frombits(0x3f818000), 0x3f82}, // tie, odd rounds up
		{math.Float32frombits(0x3f808001), 0x3f81}, // above the tie
		{math.MaxFloat32, 0x7f80},                  // rounds to Inf
	}
	for _, tc := range to {
		if got := F32ToBF16(tc.f); got != tc.want {
			t.Errorf("F32ToBF16(%g) = %#04x, want %#04x", tc.f, got, tc.want)
		}
	}
	if got := BF16ToF32(0x7fc0); !math.IsNaN(float64(got)) {
		t.Errorf("BF16ToF32(0x7fc0) = %g, want NaN", got)
	}
	if got := F32ToBF16(math.Float32frombits(0x7f800001)); got&0x7f80 != 0x7f80 || got&0x7f == 0 {
		t.Errorf("F32ToBF16(signalling NaN) = %#04x, want a NaN pattern", got)
	}
}
