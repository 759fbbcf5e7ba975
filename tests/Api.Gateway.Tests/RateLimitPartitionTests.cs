using System.Net;
using Api.Gateway.RateLimiting;
using JobQueue.Core.Configuration;
using JobQueue.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http;

namespace Api.Gateway.Tests;

/// <summary>Which bucket each kind of caller takes its token from, and under which policy.</summary>
public sealed class RateLimitPartitionTests
{
    private static readonly JobQueueSettings Settings = new() { RateLimitRps = 100, RateLimitBurst = 20, RateLimitAuthRps = 1, RateLimitAuthBurst = 5 };
    private static readonly IPAddress Client = IPAddress.Parse("203.0.113.7");

    [Test]
    public void ApiKey_IsLimitedPerKeyId_UnderTheGeneralPolicy()
    {
        var keyId = Guid.Parse("0a0b0c0d-0000-4000-8000-000000000001");
        var p = RateLimitPartition.For("/api/v1/jobs", Client, new Caller("tenant-1", IsAdmin: false, keyId), Settings);

        Assert.That((p.Bucket, p.Policy.TokensPerSecond, p.Policy.Burst), Is.EqualTo(("key:0a0b0c0d000040008000000000000001", 100d, 20)));
    }

    [Test]
    public void TwoKeysOfOneTenant_HaveTwoBuckets()
    {
        var a = RateLimitPartition.For("/api/v1/jobs", Client, new Caller("tenant-1", false, Guid.NewGuid()), Settings);
        var b = RateLimitPartition.For("/api/v1/jobs", Client, new Caller("tenant-1", false, Guid.NewGuid()), Settings);

        Assert.That(a.Bucket, Is.Not.EqualTo(b.Bucket));
    }

    [Test]
    public void TenantWithoutKeyId_IsLimitedPerTenant_WhateverTheAddress()
    {
        var a = RateLimitPartition.For("/api/v1/stats", Client, new Caller("default", IsAdmin: false), Settings);
        var b = RateLimitPartition.For("/api/v1/stats", IPAddress.Parse("198.51.100.1"), new Caller("default", IsAdmin: false), Settings);

        Assert.That((a.Bucket, b.Bucket), Is.EqualTo(("tenant:default", "tenant:default")));
    }

    [Test]
    public void Admin_HasItsOwnBucket_NotTheTenantsOfTheSameName()
    {
        var admin = RateLimitPartition.For("/api/v1/stats", Client, new Caller("admin", IsAdmin: true), Settings);
        var tenantNamedAdmin = RateLimitPartition.For("/api/v1/stats", Client, new Caller("admin", IsAdmin: false), Settings);

        Assert.That(admin.Bucket, Is.EqualTo("admin:admin"));
        Assert.That(tenantNamedAdmin.Bucket, Is.Not.EqualTo(admin.Bucket));
    }

    [Test]
    public void Unauthenticated_IsLimitedPerAddress_WithIPv4MappedAddressesAsIPv4()
    {
        var v4 = RateLimitPartition.For("/api/v1/jobs", Client, caller: null, Settings);
        var mapped = RateLimitPartition.For("/api/v1/jobs", Client.MapToIPv6(), caller: null, Settings);

        Assert.That((v4.Bucket, mapped.Bucket), Is.EqualTo(("ip:203.0.113.7", "ip:203.0.113.7")));
    }

    [Test]
    public void AuthPaths_ArePerAddress_UnderTheAuthPolicy_EvenWithAKey()
    {
        var p = RateLimitPartition.For("/auth/login", Client, new Caller("tenant-1", false, Guid.NewGuid()), Settings);

        Assert.That((p.Bucket, p.Policy.TokensPerSecond, p.Policy.Burst), Is.EqualTo(("auth:ip:203.0.113.7", 1d, 5)));
    }

    [Test]
    public void AuthPaths_FallUnderTheGeneralLimit_WhenTheAuthRateIsZero()
    {
        var p = RateLimitPartition.For("/auth/login", Client, caller: null, Settings with { RateLimitAuthRps = 0 });

        Assert.That((p.Bucket, p.Policy.Burst), Is.EqualTo(("ip:203.0.113.7", 20)));
    }

    [Test]
    public void OnlyTheAuthSegment_IsStricter()
    {
        var p = RateLimitPartition.For(new PathString("/authors"), Client, caller: null, Settings);

        Assert.That(p.Bucket, Is.EqualTo("ip:203.0.113.7"));
    }

    [Test]
    public void IPv6Clients_AreGroupedBySlash64()
    {
        var a = RateLimitPartition.For("/api/v1/jobs", IPAddress.Parse("2001:db8:1:2::1"), caller: null, Settings);
        var b = RateLimitPartition.For("/api/v1/jobs", IPAddress.Parse("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), caller: null, Settings);
        var other = RateLimitPartition.For("/auth/login", IPAddress.Parse("2001:db8:1:3::1"), caller: null, Settings);

        Assert.That((a.Bucket, b.Bucket, other.Bucket), Is.EqualTo(("ip:2001:db8:1:2::/64", "ip:2001:db8:1:2::/64", "auth:ip:2001:db8:1:3::/64")));
    }
}
