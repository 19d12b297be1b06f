package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// rsaResult is the raw RS256 capacity of this machine.
type rsaResult struct {
	workers    int
	duration   time.Duration
	signRate   float64 // signatures per second, all workers
	verifyRate float64
	when       string // before or after the load
	cpu        cpuDelta
	// signPerCore is the sign rate per core this process actually got
	// during the sign phase (other processes may take some).
	signPerCore float64
}

// measureRSA signs, then verifies, with RSA-2048 PKCS#1 v1.5 over SHA-256
// from GOMAXPROCS goroutines, for d each. Each operation hashes a JWT-sized
// signing input first, as RS256 does.
func measureRSA(ctx context.Context, d time.Duration) (*rsaResult, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	key.Precompute()
	msg := make([]byte, 700) // about an access token's header.payload
	for i := range msg {
		msg[i] = 'a' + byte(i%26)
	}
	digest := sha256.Sum256(msg)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
	if err != nil {
		return nil, err
	}
	workers := runtime.GOMAXPROCS(0)
	sign := func() error {
		h := sha256.Sum256(msg)
		_, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:])
		return err
	}
	verify := func() error {
		h := sha256.Sum256(msg)
		return rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, h[:], sig)
	}
	a := sampleCPU(cpuWatch{})
	signRate, err := rate(ctx, workers, d, sign)
	if err != nil {
		return nil, err
	}
	signCPU := cpuUse(a, sampleCPU(cpuWatch{}))
	verifyRate, err := rate(ctx, workers, d, verify)
	if err != nil {
		return nil, err
	}
	r := &rsaResult{workers: workers, duration: d, signRate: signRate, verifyRate: verifyRate}
	if signCPU.ok && signCPU.self > 0 {
		r.signPerCore = signRate / signCPU.self
	}
	return r, nil
}

// rate runs f from workers goroutines for d and returns completed calls per second.
func rate(ctx context.Context, workers int, d time.Duration, f func() error) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var n atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := f(); err != nil {
					once.Do(func() { firstErr = err })
					cancel()
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(n.Load()) / elapsed.Seconds(), nil
}
