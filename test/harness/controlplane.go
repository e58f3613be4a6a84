package harness

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	restclient "k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/klog/v2"
	kubeapiservertesting "k8s.io/kubernetes/cmd/kube-apiserver/app/testing"
	"k8s.io/kubernetes/test/utils/ktesting"
	"k8s.io/kubernetes/test/utils/ktesting/initoption"
)

// defaultAPIServerFlags adapt a bare kube-apiserver to a cluster without a
// node lifecycle controller: TaintNodesByCondition would put a not-ready
// taint on every new Node that nothing removes.
var defaultAPIServerFlags = []string{"--disable-admission-plugins=TaintNodesByCondition"}

// controlPlane is etcd plus the real kube-apiserver.
type controlPlane struct {
	etcd       *embed.Etcd
	tb         *runTB
	teardown   func()
	restConfig *restclient.Config
}

// portsMu serialises picking free ports and binding them, to narrow the
// window in which two clusters of one process pick the same port.
var portsMu sync.Mutex

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// startEtcd starts an embedded single-member etcd on loopback, storing its
// data under dir.
func startEtcd(dir string) (*embed.Etcd, string, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		ports, err := freePorts(2)
		if err != nil {
			return nil, "", fmt.Errorf("finding free ports for etcd: %w", err)
		}
		clientURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))}
		peerURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))}
		cfg := embed.NewConfig()
		cfg.Dir = filepath.Join(dir, fmt.Sprintf("etcd-%d", attempt))
		cfg.UnsafeNoFsync = true
		cfg.ListenClientUrls = []url.URL{clientURL}
		cfg.AdvertiseClientUrls = []url.URL{clientURL}
		cfg.ListenPeerUrls = []url.URL{peerURL}
		cfg.AdvertisePeerUrls = []url.URL{peerURL}
		cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			lastErr = err
			continue
		}
		select {
		case <-e.Server.ReadyNotify():
			return e, clientURL.String(), nil
		case <-time.After(60 * time.Second):
			e.Close()
			return nil, "", errors.New("etcd did not become ready within 60s")
		}
	}
	return nil, "", fmt.Errorf("starting etcd: %w", lastErr)
}

// startControlPlane starts etcd and kube-apiserver (the upstream test server,
// all on 127.0.0.1) and writes a kubeconfig for it.
func startControlPlane(dir string, extraFlags []string, logger klog.Logger) (cp *controlPlane, err error) {
	cp = &controlPlane{}
	defer func() {
		if err != nil {
			cp.stop()
		}
	}()
	e, etcdURL, err := startEtcd(dir)
	if err != nil {
		return nil, err
	}
	cp.etcd = e

	storage := storagebackend.NewDefaultConfig("/registry", nil)
	storage.Transport.ServerList = []string{etcdURL}

	cp.tb = newRunTB("harness", dir, logger.WithName("apiserver-testserver"))
	// StartTestServer reports some failures with Fatalf; runTB panics with
	// tbFatal then, which we turn back into an error here.
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(tbFatal)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("starting kube-apiserver: %s", f.msg)
		}
	}()
	tCtx := ktesting.Init(cp.tb, initoption.PerTestOutput(false))
	flags := append(append([]string{}, defaultAPIServerFlags...), extraFlags...)
	srv, err := kubeapiservertesting.StartTestServer(tCtx, &kubeapiservertesting.TestServerInstanceOptions{
		DisableInvariantChecks: true,
	}, flags, storage)
	if err != nil {
		return nil, fmt.Errorf("starting kube-apiserver: %w", err)
	}
	cp.teardown = srv.TearDownFn
	cp.restConfig = srv.ClientConfig
	return cp, nil
}

// stop tears down the API server, then etcd.
func (cp *controlPlane) stop() {
	if cp.teardown != nil {
		cp.teardown()
		cp.teardown = nil
	}
	if cp.tb != nil {
		cp.tb.runCleanups()
	}
	if cp.etcd != nil {
		cp.etcd.Close()
		cp.etcd = nil
	}
}

// writeKubeconfig writes a kubeconfig for cfg (the API server's loopback
// client: bearer token, CA and TLS server name) to path, mode 0600.
func writeKubeconfig(cfg *restclient.Config, path string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["harness"] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
		TLSServerName:            cfg.ServerName,
	}
	kc.AuthInfos["harness"] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts["harness"] = &clientcmdapi.Context{Cluster: "harness", AuthInfo: "harness", Namespace: "default"}
	kc.CurrentContext = "harness"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return nil
}
