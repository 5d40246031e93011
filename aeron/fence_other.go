//go:build !linux

package aeron

func asymmetricFenceAvailable() bool { return false }

func processFence() bool { return false }
