module github.com/tensorpool/tensorpool

go 1.26.0

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
