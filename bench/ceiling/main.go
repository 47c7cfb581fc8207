// Command ceiling is the benchmark's yardstick: a minimal net/http server
// that answers every request with the same 1 KiB JSON body. Loaded with the
// same tool on the same machine as Rollcall, it shows the most any Go HTTP
// server can do here, so Rollcall's figures read as a fraction of it.
//
//	go run ./bench/ceiling -addr 127.0.0.1:9090
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on; the chosen address is printed on stdout")
	flag.Parse()
	body := fixedBody(1024)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.api+json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}

// fixedBody returns a JSON:API-shaped document of exactly n bytes.
func fixedBody(n int) []byte {
	head := `{"data":{"type":"users","id":"00000001-0000-4000-8000-000000000001","attributes":{"username":"alice.adams.1","padding":"`
	tail := `"}}}` + "\n"
	return []byte(head + strings.Repeat("x", n-len(head)-len(tail)) + tail)
}
