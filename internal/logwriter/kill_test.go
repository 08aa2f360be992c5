package logwriter_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/store/sqlstore"
	"github.com/keygate/keygate/internal/testgw"
)

// TestKillChildGateway is the child of TestKillNineLosesNoRow: a real
// gateway that prints its URL and serves until it is killed. It does
// nothing unless run by that test.
func TestKillChildGateway(t *testing.T) {
	dsn, spool := os.Getenv("KEYGATE_KILL_CHILD_DSN"), os.Getenv("KEYGATE_KILL_CHILD_SPOOL")
	if dsn == "" {
		t.Skip("run by TestKillNineLosesNoRow")
	}
	g := testgw.Start(t, testgw.Options{DSN: dsn, Configure: func(c *config.Config) { c.LogSpool = spool }})
	fmt.Printf("GATEWAY %s\n", g.URL)
	select {} // until SIGKILL (bounded by the parent's -test.timeout)
}

// kill -9 under load loses no answered call's row: the child gateway is
// killed while calls are in flight; a gateway restarted on the same
// database and spool finds every answered call's row (the spool replays
// what the store lacked), and on both stores the key's budget spend equals
// the sum of its rows, to the nano-dollar.
func TestKillNineLosesNoRow(t *testing.T) {
	if os.Getenv("KEYGATE_KILL_CHILD_DSN") != "" {
		t.Skip("in the child")
	}
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) { killUnderLoad(t, db) })
	}
}

func killUnderLoad(t *testing.T, db testgw.DB) {
	spool := filepath.Join(t.TempDir(), "kill.logspool")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChildGateway$", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), "KEYGATE_KILL_CHILD_DSN="+db.DSN, "KEYGATE_KILL_CHILD_SPOOL="+spool)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "GATEWAY "); ok {
				url <- u
			}
		}
		close(url)
	}()
	var base string
	select {
	case base = <-url:
	case <-time.After(60 * time.Second):
		t.Fatal("the child gateway did not start")
	}
	if base == "" {
		t.Fatal("the child gateway exited before serving")
	}
	// A key with a budget, so the ledger records its spend.
	req, _ := http.NewRequest("POST", base+"/admin/v1/keys",
		strings.NewReader(`{"project":"demo","budget":{"limit_usd":1000,"period":"monthly"}}`))
	req.Header.Set("Authorization", "Bearer "+testgw.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var k struct{ ID, Key string }
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := jsonUnmarshal(b, &k); err != nil || k.Key == "" {
		t.Fatalf("create key: %s", b)
	}

	// Load: 64 workers (so some calls are caught between their settle and
	// their row); after 400 answered calls the child is killed.
	var answered sync.Map
	var n atomic.Int64
	stop := make(chan struct{})
	reached := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("POST", base+"/v1/chat/completions",
					strings.NewReader(`{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`))
				req.Header.Set("Authorization", "Bearer "+k.Key)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					continue // the child is gone
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode == 200 && strings.Contains(string(body), `"usage"`) {
					answered.Store(resp.Header.Get("X-Request-Id"), true)
					if n.Add(1) == 400 {
						once.Do(func() { close(reached) })
					}
				}
			}
		}()
	}
	select {
	case <-reached:
	case <-time.After(90 * time.Second):
		t.Fatal("the child did not answer 400 calls")
	}
	_ = cmd.Process.Kill() // SIGKILL, with calls in flight
	_ = cmd.Wait()
	killed = true
	close(stop)
	wg.Wait()

	// Restart on the same database and spool.
	g := testgw.Start(t, testgw.Options{DSN: db.DSN, Configure: func(c *config.Config) { c.LogSpool = spool }})
	rows := g.Logs(testgw.Query("key_id", k.ID, "limit", "100000"), int(n.Load()))
	have := map[string]bool{}
	var want int64 // nano-USD: what each row's cost settled
	for _, r := range rows {
		id, _ := r["request_id"].(string)
		have[id] = true
		c, _ := r["cost_usd"].(float64)
		want += ledger.FromUSD(c)
	}
	lost := 0
	answered.Range(func(id, _ any) bool {
		if !have[id.(string)] {
			lost++
		}
		return true
	})
	t.Logf("%s: %d calls answered before and around kill -9, %d rows after restart", db.Name, n.Load(), len(rows))
	if lost > 0 {
		t.Fatalf("%d of %d answered calls have no row after kill -9 and restart", lost, n.Load())
	}
	// The budget's recorded spend is exactly the sum of the rows: no call
	// killed between its settle and its row is in the spend without its
	// row, and no second of spend is lost (the memory ledger of SQLite
	// wrote it every second).
	st, err := sqlstore.Open(context.Background(), db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, _ := ledger.WindowOf(ledger.Budget{Scope: ledger.ScopeKey, Subject: k.ID, Period: ledger.Monthly}, time.Now())
	spent, err := st.LoadSpend(context.Background(), w)
	if err != nil {
		t.Fatal(err)
	}
	if spent != want {
		t.Fatalf("%s: budget spend %d nano-USD after kill -9 and restart, sum of the %d rows %d nano-USD (off by %d)",
			db.Name, spent, len(rows), want, spent-want)
	}
	// And the restarted gateway's ledger starts from it.
	var view struct {
		SpentUSD *float64 `json:"spent_usd"`
	}
	if code := g.Admin("GET", "/admin/v1/keys/"+k.ID, nil, &view); code != 200 || view.SpentUSD == nil {
		t.Fatalf("GET key: %d %+v", code, view)
	}
	if got := ledger.FromUSD(*view.SpentUSD); got != want {
		t.Fatalf("%s: the restarted gateway says the key spent %d nano-USD, its rows %d", db.Name, got, want)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
