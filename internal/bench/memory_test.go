package bench

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tkeygate\nVmPeak:\t  900000 kB\nVmRSS:\t   45348 kB\nRssAnon:\t   30000 kB\n"
	if got := parseVmRSS([]byte(status)); got != 45348*1024 {
		t.Fatalf("VmRSS = %d, want %d", got, 45348*1024)
	}
	if got := parseVmRSS([]byte("Name:\tx\n")); got != 0 {
		t.Fatalf("no VmRSS line: %d, want 0", got)
	}
}

func TestSampleRSSOfThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux only")
	}
	stop := sampleRSS(os.Getpid(), time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	if peak := stop(); peak <= 0 {
		t.Fatalf("peak RSS of this process = %d", peak)
	}
}
