// A Go service with known memory behaviour for memlens's --runtime-url test: it keeps 64 MiB
// live, frees another 128 MiB (idle heap the runtime keeps until its scavenger returns it) and
// serves expvar's memstats on a loopback port, printed as one JSON line.
package main

import (
	_ "expvar"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
)

var live [][]byte

func main() {
	for i := 0; i < 64; i++ {
		b := make([]byte, 1<<20)
		for j := range b {
			b[j] = byte(j)
		}
		live = append(live, b)
	}
	garbage := make([][]byte, 0, 128)
	for i := 0; i < 128; i++ {
		b := make([]byte, 1<<20)
		for j := range b {
			b[j] = 1
		}
		garbage = append(garbage, b)
	}
	garbage = nil
	runtime.GC()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("{\"pid\":%d,\"port\":%d,\"live\":%d}\n", os.Getpid(), ln.Addr().(*net.TCPAddr).Port, len(live))
	go func() {
		buf := make([]byte, 1)
		os.Stdin.Read(buf) // exits when the test closes stdin
		os.Exit(0)
	}()
	http.Serve(ln, nil)
}
