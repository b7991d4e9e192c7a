module github.com/example/service

go 1.21

toolchain go1.21.5

require (
	github.com/gin-gonic/gin v1.9.1
	golang.org/x/net v0.17.0 // indirect
	"github.com/quoted/module" v0.0.0-20230101000000-0123456789ab
	github.com/old/lib v2.0.0+incompatible // indirect; needed by gin
)

require github.com/stretchr/testify v1.8.4

replace github.com/old/lib => ../lib

replace (
	golang.org/x/net v0.17.0 => golang.org/x/net v0.19.0
)

exclude golang.org/x/crypto v0.1.0

retract [v1.0.0, v1.0.5] // broken releases
