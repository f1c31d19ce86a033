;; The steering step's three passes in WebAssembly SIMD (four float32 lanes), with a polynomial exp
;; (Cephes expf: range reduction by ln 2 in two parts, a degree-6 polynomial, 2^n through the exponent
;; bits; within 2 ulp of a correctly rounded float32 exp). Sums and delta are float64 (two f64x2 halves).
;; Assembled at build time by scripts/assemble-kernel.mjs into src/wasm/steering-kernel-bytes.ts.
;;
;; Memory layout (the caller's, byte offsets): adapted logits at $a, base logits at $b, exp scratch
;; and then delta at $e, mask bytes at $m; `bytes` is the padded length times 4 (a multiple of 16).
;; Padding entries hold -Infinity in both logits (exp 0: they add nothing). Results go to the first
;; 64 bytes (read through typed arrays: globals would box a number per read): float64 sumA, sumB,
;; dotA (sum e (a - maxA)), dotB (sum e (b - maxB) over tokens the base allows), banned (sum e over
;; tokens the base bans and the adapted model allows) at 0, 8, 16, 24, 32; float32 maxA, maxB at
;; 40, 44; int32 kept, ambiguous (tokens too close to the mask threshold to decide) at 48, 52.
(module
  (memory (export "memory") 1)

  (func $exp (param $x v128) (result v128)
    (local $xc v128) (local $n v128) (local $r v128) (local $y v128)
    ;; below -87.33654 the result would leave float32's normal range: it is 0 (-Infinity included)
    (local.set $xc (f32x4.max (local.get $x) (f32x4.splat (f32.const -87.33654))))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $xc) (f32x4.splat (f32.const 1.44269504)))))
    (local.set $r (f32x4.sub (local.get $xc) (f32x4.mul (local.get $n) (f32x4.splat (f32.const 0.693359375)))))
    (local.set $r (f32x4.add (local.get $r) (f32x4.mul (local.get $n) (f32x4.splat (f32.const 2.12194440e-4)))))
    (local.set $y (f32x4.splat (f32.const 1.9875691500e-4)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
    (local.set $y
      (f32x4.add
        (f32x4.add
          (f32x4.mul (local.get $y) (f32x4.mul (local.get $r) (local.get $r)))
          (local.get $r))
        (f32x4.splat (f32.const 1))))
    ;; times 2^n: n + 127 in the exponent bits (n >= -126 after the clamp)
    (local.set $y
      (f32x4.mul
        (local.get $y)
        (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (i32x4.splat (i32.const 127))) (i32.const 23))))
    (v128.bitselect
      (f32x4.splat (f32.const 0))
      (local.get $y)
      (f32x4.lt (local.get $x) (f32x4.splat (f32.const -87.33654)))))

  ;; float64 sum of four float32 lanes, added to a two-lane accumulator
  (func $widen (param $acc v128) (param $v v128) (result v128)
    (f64x2.add
      (f64x2.add (local.get $acc) (f64x2.promote_low_f32x4 (local.get $v)))
      (f64x2.promote_low_f32x4
        (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))))

  (func $sum2 (param $acc v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))

  (func $max4 (param $v v128) (result f32)
    (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.max (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; Pass 1: both maxima. NaN propagates through f32x4.max, so a NaN anywhere gives a NaN maximum.
  (func (export "maxima") (param $a i32) (param $b i32) (param $bytes i32)
    (local $i i32) (local $ma v128) (local $mb v128)
    (local.set $ma (f32x4.splat (f32.const -inf)))
    (local.set $mb (f32x4.splat (f32.const -inf)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $ma (f32x4.max (local.get $ma) (v128.load (i32.add (local.get $a) (local.get $i)))))
        (local.set $mb (f32x4.max (local.get $mb) (v128.load (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (f32.store offset=40 (i32.const 0) (call $max4 (local.get $ma)))
    (f32.store offset=44 (i32.const 0) (call $max4 (local.get $mb))))

  ;; Pass 2: e = exp(a - maxA) into $e, the partition sums and the sums KL is made of. The dot
  ;; products are float64 throughout (a - maxA and b - maxB are exact there): with a peaked
  ;; distribution KL - r of the top token is tiny and float32 there would leave only noise. When the
  ;; base bans every token the caller passes maxB = 0 (b - maxB is then -Infinity: exp 0).
  (func (export "sums") (param $a i32) (param $b i32) (param $e i32) (param $bytes i32)
    (param $maxA f32) (param $maxB f32)
    (local $i i32) (local $va v128) (local $vb v128) (local $ve v128) (local $nz v128) (local $ban v128)
    (local $allowed v128) (local $hiA v128) (local $hiB v128) (local $hiE v128)
    (local $maxA2 v128) (local $maxB2 v128)
    (local $sA v128) (local $sB v128) (local $dA v128) (local $dB v128) (local $bm v128)
    (local.set $maxA2 (f64x2.splat (f64.promote_f32 (local.get $maxA))))
    (local.set $maxB2 (f64x2.splat (f64.promote_f32 (local.get $maxB))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $va (v128.load (i32.add (local.get $a) (local.get $i))))
        (local.set $vb (v128.load (i32.add (local.get $b) (local.get $i))))
        (local.set $ve (call $exp (f32x4.sub (local.get $va) (f32x4.splat (local.get $maxA)))))
        (v128.store (i32.add (local.get $e) (local.get $i)) (local.get $ve))
        ;; e > 0 (an adapted -Infinity gives e = 0 and e * (a - maxA) = NaN: left out)
        (local.set $nz (f32x4.gt (local.get $ve) (f32x4.splat (f32.const 0))))
        (local.set $ban (f32x4.eq (local.get $vb) (f32x4.splat (f32.const -inf))))
        (local.set $allowed (v128.andnot (local.get $nz) (local.get $ban)))
        (local.set $sA (call $widen (local.get $sA) (local.get $ve)))
        (local.set $sB
          (call $widen (local.get $sB)
            (call $exp (f32x4.sub (local.get $vb) (f32x4.splat (local.get $maxB))))))
        (local.set $bm (call $widen (local.get $bm) (v128.and (local.get $ve) (local.get $ban))))
        ;; lanes 2 and 3 moved down, to be promoted to float64 like lanes 0 and 1
        (local.set $hiA (call $high (local.get $va)))
        (local.set $hiB (call $high (local.get $vb)))
        (local.set $hiE (call $high (local.get $ve)))
        (local.set $dA
          (f64x2.add
            (f64x2.add
              (local.get $dA)
              (v128.and
                (call $dot (local.get $ve) (local.get $va) (local.get $maxA2))
                (i64x2.extend_low_i32x4_s (local.get $nz))))
            (v128.and
              (call $dot (local.get $hiE) (local.get $hiA) (local.get $maxA2))
              (i64x2.extend_high_i32x4_s (local.get $nz)))))
        (local.set $dB
          (f64x2.add
            (f64x2.add
              (local.get $dB)
              (v128.and
                (call $dot (local.get $ve) (local.get $vb) (local.get $maxB2))
                (i64x2.extend_low_i32x4_s (local.get $allowed))))
            (v128.and
              (call $dot (local.get $hiE) (local.get $hiB) (local.get $maxB2))
              (i64x2.extend_high_i32x4_s (local.get $allowed)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (f64.store offset=0 (i32.const 0) (call $sum2 (local.get $sA)))
    (f64.store offset=8 (i32.const 0) (call $sum2 (local.get $sB)))
    (f64.store offset=16 (i32.const 0) (call $sum2 (local.get $dA)))
    (f64.store offset=24 (i32.const 0) (call $sum2 (local.get $dB)))
    (f64.store offset=32 (i32.const 0) (call $sum2 (local.get $bm))))

  ;; lanes 2 and 3 of a float32 vector in lanes 0 and 1
  (func $high (param $v v128) (result v128)
    (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))

  ;; e * (x - max) for lanes 0 and 1, in float64
  (func $dot (param $e v128) (param $x v128) (param $max v128) (result v128)
    (f64x2.mul
      (f64x2.promote_low_f32x4 (local.get $e))
      (f64x2.sub (f64x2.promote_low_f32x4 (local.get $x)) (local.get $max))))

  ;; delta = e / sumA * (kl - r), r = a - b + shift, for lanes 0 and 1 in float64 (KL - r cancels)
  (func $delta (param $e v128) (param $a v128) (param $b v128) (param $kl v128) (param $shift v128)
    (param $invSum v128) (result v128)
    (f64x2.mul
      (f64x2.mul (f64x2.promote_low_f32x4 (local.get $e)) (local.get $invSum))
      (f64x2.sub
        (local.get $kl)
        (f64x2.add
          (f64x2.sub (f64x2.promote_low_f32x4 (local.get $a)) (f64x2.promote_low_f32x4 (local.get $b)))
          (local.get $shift)))))

  ;; Pass 3 (no base-banned token allowed by the adapted model): delta written over e, in float64
  ;; and rounded once; mask byte 1 where e >= threshold; bit 2 marks an e in [lo, hi), too close to
  ;; the threshold for the float32 exp to decide (the caller decides it exactly).
  (func (export "finish") (param $a i32) (param $b i32) (param $e i32) (param $m i32) (param $bytes i32)
    (param $kl f64) (param $shift f64) (param $invSum f64) (param $threshold f32) (param $lo f32) (param $hi f32)
    (local $i i32) (local $ve v128) (local $va v128) (local $vb v128) (local $d v128) (local $keep v128)
    (local $amb v128) (local $kl2 v128) (local $shift2 v128) (local $inv2 v128)
    (local $bytes8 v128) (local $kept v128) (local $ambCount v128)
    (local.set $kl2 (f64x2.splat (local.get $kl)))
    (local.set $shift2 (f64x2.splat (local.get $shift)))
    (local.set $inv2 (f64x2.splat (local.get $invSum)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $ve (v128.load (i32.add (local.get $e) (local.get $i))))
        (local.set $va (v128.load (i32.add (local.get $a) (local.get $i))))
        (local.set $vb (v128.load (i32.add (local.get $b) (local.get $i))))
        (local.set $d
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero
              (call $delta (local.get $ve) (local.get $va) (local.get $vb)
                (local.get $kl2) (local.get $shift2) (local.get $inv2)))
            (f32x4.demote_f64x2_zero
              (call $delta (call $high (local.get $ve)) (call $high (local.get $va)) (call $high (local.get $vb))
                (local.get $kl2) (local.get $shift2) (local.get $inv2)))))
        ;; e = 0: delta 0 (r may be infinite there)
        (v128.store (i32.add (local.get $e) (local.get $i))
          (v128.and (local.get $d) (f32x4.gt (local.get $ve) (f32x4.splat (f32.const 0)))))
        (local.set $keep (f32x4.ge (local.get $ve) (f32x4.splat (local.get $threshold))))
        (local.set $amb
          (v128.and
            (f32x4.ge (local.get $ve) (f32x4.splat (local.get $lo)))
            (f32x4.lt (local.get $ve) (f32x4.splat (local.get $hi)))))
        (local.set $kept (i32x4.sub (local.get $kept) (local.get $keep)))
        (local.set $ambCount (i32x4.sub (local.get $ambCount) (local.get $amb)))
        ;; lanes of 0 / -1 narrowed to bytes, then 1 = kept, 2 = undecided
        (local.set $bytes8
          (v128.or
            (v128.and
              (i8x16.narrow_i16x8_s
                (i16x8.narrow_i32x4_s (local.get $keep) (local.get $keep))
                (i16x8.narrow_i32x4_s (local.get $keep) (local.get $keep)))
              (i8x16.splat (i32.const 1)))
            (v128.and
              (i8x16.narrow_i16x8_s
                (i16x8.narrow_i32x4_s (local.get $amb) (local.get $amb))
                (i16x8.narrow_i32x4_s (local.get $amb) (local.get $amb)))
              (i8x16.splat (i32.const 2)))))
        (v128.store32_lane 0
          (i32.add (local.get $m) (i32.shr_u (local.get $i) (i32.const 2)))
          (local.get $bytes8))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (i32.store offset=48 (i32.const 0)
      (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $kept)) (i32x4.extract_lane 1 (local.get $kept)))
        (i32.add (i32x4.extract_lane 2 (local.get $kept)) (i32x4.extract_lane 3 (local.get $kept)))))
    (i32.store offset=52 (i32.const 0)
      (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $ambCount)) (i32x4.extract_lane 1 (local.get $ambCount)))
        (i32.add (i32x4.extract_lane 2 (local.get $ambCount)) (i32x4.extract_lane 3 (local.get $ambCount))))))
;; log-sum-exp of one vector: its maximum to 40 (float32), sum exp(x - max) to 0 (float64).
  ;; The caller handles an all -Infinity vector (and a NaN or +Infinity maximum).
  (func (export "logSumExp") (param $x i32) (param $bytes i32)
    (local $i i32) (local $m v128) (local $max f32) (local $s v128)
    (local.set $m (f32x4.splat (f32.const -inf)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $m (f32x4.max (local.get $m) (v128.load (i32.add (local.get $x) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (local.set $max (call $max4 (local.get $m)))
    (f32.store offset=40 (i32.const 0) (local.get $max))
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $s
          (call $widen (local.get $s)
            (call $exp
              (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $i))) (f32x4.splat (local.get $max))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (f64.store offset=0 (i32.const 0) (call $sum2 (local.get $s))))
)
