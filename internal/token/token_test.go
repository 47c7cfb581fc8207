package token

import (
	"encoding/hex"
	"testing"
)

func TestGenerateIsWellFormedAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok := Generate()
		if !WellFormed(tok) {
			t.Fatalf("Generate() = %q, not well formed", tok)
		}
		if seen[tok] {
			t.Fatalf("Generate() repeated %q", tok)
		}
		seen[tok] = true
	}
}

func TestGenerateUsesWholeAlphabet(t *testing.T) {
	counts := map[byte]int{}
	for range 2000 {
		tok := Generate()
		for i := len(Prefix); i < len(tok); i++ {
			counts[tok[i]]++
		}
	}
	if len(counts) != 62 {
		t.Fatalf("saw %d distinct characters in generated tokens, want all 62", len(counts))
	}
}

func TestWellFormed(t *testing.T) {
	good := "rc_" + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg"
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{good, true},
		{"", false},
		{"rc_", false},
		{good[:len(good)-1], false},
		{good + "h", false},
		{"xx_" + good[3:], false},
		{good[:10] + "-" + good[11:], false},
		{good[:10] + "é" + good[12:], false},
	} {
		if got := WellFormed(tc.in); got != tc.want {
			t.Errorf("WellFormed(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestHashIsSHA256(t *testing.T) {
	got := hex.EncodeToString(Hash("abc"))
	want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got != want {
		t.Fatalf("Hash(abc) = %s, want %s", got, want)
	}
}

func TestEqualAndDisplayPrefix(t *testing.T) {
	if !Equal("a", "a") || Equal("a", "b") || Equal("a", "aa") {
		t.Fatal("Equal gives wrong answers")
	}
	tok := Generate()
	if p := DisplayPrefix(tok); len(p) != DisplayLen || p != tok[:DisplayLen] {
		t.Fatalf("DisplayPrefix(%q) = %q", tok, p)
	}
}
