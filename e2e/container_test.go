package e2e

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// dockerfileExec returns the JSON array of the Dockerfile's first
// instruction named instr (CMD, ENTRYPOINT, HEALTHCHECK ... CMD).
func dockerfileExec(t *testing.T, instr string) []string {
	t.Helper()
	f, err := os.Open("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, instr+" ") {
			continue
		}
		i := strings.Index(line, "[")
		if instr == "HEALTHCHECK" {
			i = strings.Index(line, " CMD [") + len(" CMD ")
		}
		var args []string
		if err := json.Unmarshal([]byte(line[i:]), &args); err != nil {
			t.Fatalf("Dockerfile %s is not an exec-form JSON array: %q", instr, line)
		}
		return args
	}
	t.Fatalf("the Dockerfile has no %s", instr)
	return nil
}

// TestContainerImage checks what the image is made of without a container
// daemon: the binary builds static with CGO_ENABLED=0 (no interpreter, no
// shared libraries, so it runs on a distroless base), the image's command
// starts a server, and its health check passes while the server runs and
// fails once it stops.
func TestContainerImage(t *testing.T) {
	dir := t.TempDir()
	// realBinary is built as the Dockerfile builds the image's binary
	// (goBuild); the Dockerfile must still say so.
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	const want = `RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/cognate ./cmd/cognate`
	if !strings.Contains(string(df), want) {
		t.Fatalf("the Dockerfile no longer says %s: make goBuild (e2e/cli_test.go) build as it does", want)
	}
	bin, err := realBinary()
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary needs a dynamic loader: it would not run on a static base image")
		}
	}
	if libs, _ := ef.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("the binary links shared libraries: %v", libs)
	}
	ef.Close()

	entry, cmd, health := dockerfileExec(t, "ENTRYPOINT"), dockerfileExec(t, "CMD"), dockerfileExec(t, "HEALTHCHECK")
	if len(entry) != 1 || entry[0] != "/cognate" || health[0] != "/cognate" {
		t.Fatalf("ENTRYPOINT %v, HEALTHCHECK %v: want /cognate", entry, health)
	}
	// The image's command with this machine's paths: /data becomes a temp
	// directory and port 9229 a free one.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	local := func(args []string) []string {
		var out []string
		for _, a := range args {
			a = strings.ReplaceAll(a, "9229", port)
			a = strings.Replace(a, "0.0.0.0:", "127.0.0.1:", 1)
			if a == "/data" {
				a = data
			}
			out = append(out, a)
		}
		return out
	}
	srv := exec.Command(bin, local(cmd)...)
	logs := &lockedBuffer{} // the server writes while the test reads
	srv.Stderr = logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	healthy := func() error { return exec.Command(bin, local(health[1:])...).Run() }
	deadline := time.Now().Add(20 * time.Second)
	for healthy() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("the image's health check never passed; server log:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(data, "cognate.db")); err != nil {
		t.Fatalf("the data is not on the volume: %v", err)
	}
	if !regexp.MustCompile(`public_url=http://localhost:` + port).MatchString(logs.String()) {
		t.Fatalf("the image's command does not set the public URL clients use:\n%s", logs.String())
	}
	_ = srv.Process.Signal(os.Interrupt)
	_ = srv.Wait()
	if healthy() == nil {
		t.Fatal("the health check passed with the server stopped")
	}
}
