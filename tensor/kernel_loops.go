package tensor

// microKernelLoops is the plain-loop form of microKernel for any tile size
// mr×nr: T[i][j] = Σ_p a[p·mr+i]·b[p·nr+j] summed in order of p, then
// stored into c[i·ldc+j] (add = false) or added to it (add = true). It is
// the fallback on amd64 CPUs without AVX2 + FMA and the reference the
// assembly kernels are tested against.
func microKernelLoops(kc int, a, b []float32, c []float32, ldc int, add bool) {
	var t [mr * nr]float32
	for p := 0; p < kc; p++ {
		ap, bp := a[p*mr:p*mr+mr], b[p*nr:p*nr+nr]
		for i, av := range ap {
			row := t[i*nr : i*nr+nr]
			for j, bv := range bp {
				row[j] += av * bv
			}
		}
	}
	for i := 0; i < mr; i++ {
		row := c[i*ldc : i*ldc+nr]
		if add {
			for j := range row {
				row[j] += t[i*nr+j]
			}
		} else {
			copy(row, t[i*nr:i*nr+nr])
		}
	}
}

// packPanelALoops is the plain-loop form of packPanelA.
func packPanelALoops(trans bool, a []float32, lda, r, p0, kb int, panel []float32) {
	for i := 0; i < mr; i++ {
		if trans {
			for p := 0; p < kb; p++ {
				panel[p*mr+i] = a[(p0+p)*lda+r+i]
			}
			continue
		}
		for p, x := range a[(r+i)*lda+p0 : (r+i)*lda+p0+kb] {
			panel[p*mr+i] = x
		}
	}
}

// packPanelBLoops is the plain-loop form of packPanelB.
func packPanelBLoops(b []float32, ldb, p0, kb, j0 int, panel []float32) {
	for p := 0; p < kb; p++ {
		o := (p0+p)*ldb + j0
		copy(panel[p*nr:p*nr+nr], b[o:o+nr])
	}
}

// packPanelBTLoops is the plain-loop form of packPanelBT.
func packPanelBTLoops(b []float32, ldb, p0, kb, j0 int, panel []float32) {
	for j := 0; j < nr; j++ {
		for p, x := range b[(j0+j)*ldb+p0 : (j0+j)*ldb+p0+kb] {
			panel[p*nr+j] = x
		}
	}
}
