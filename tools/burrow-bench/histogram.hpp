// A log-linear histogram in the HDR style: fixed storage, no allocation per sample, values within
// 1/64 (1.6 %) of the truth. Values below 128 have a bucket each; above, every power of two is
// split into 64 equal sub-buckets. Recording is a few instructions (a bit scan and an increment),
// so it can sit on the hot path of a load generator; per-thread histograms are merged at the end.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <limits>

namespace burrow::bench {

class log_linear_histogram {
public:
    static constexpr int linear_bits = 7;                        // exact below 2^7
    static constexpr std::uint64_t sub_buckets = 1u << (linear_bits - 1);  // per power of two above
    static constexpr std::size_t bucket_count = (1u << linear_bits) + (64 - linear_bits) * sub_buckets;

    void record(std::uint64_t v) noexcept {
        ++counts_[index_of(v)];
        ++total_;
        min_ = std::min(min_, v);
        max_ = std::max(max_, v);
        sum_ += v;
    }

    void merge(const log_linear_histogram& other) noexcept {
        for (std::size_t i = 0; i < bucket_count; ++i)
            counts_[i] += other.counts_[i];
        total_ += other.total_;
        min_ = std::min(min_, other.min_);
        max_ = std::max(max_, other.max_);
        sum_ += other.sum_;
    }

    std::uint64_t count() const noexcept { return total_; }
    std::uint64_t max() const noexcept { return total_ ? max_ : 0; }
    std::uint64_t min() const noexcept { return total_ ? min_ : 0; }
    double mean() const noexcept { return total_ ? static_cast<double>(sum_) / static_cast<double>(total_) : 0.0; }

    /// The value at quantile q (0..1): the upper end of the bucket holding that rank, never above
    /// the largest value recorded. 0 when empty.
    std::uint64_t quantile(double q) const noexcept {
        if (total_ == 0)
            return 0;
        q = std::clamp(q, 0.0, 1.0);
        auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_) + 0.5);
        rank = std::clamp<std::uint64_t>(rank, 1, total_);
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < bucket_count; ++i) {
            seen += counts_[i];
            if (seen >= rank)
                return std::clamp(upper_bound_of(i), min_, max_);
        }
        return max_;
    }

    static std::size_t index_of(std::uint64_t v) noexcept {
        if (v < (1u << linear_bits))
            return static_cast<std::size_t>(v);
        const int shift = std::bit_width(v) - linear_bits;  // >= 1: v >> shift is in [64, 128)
        const std::uint64_t sub = (v >> shift) - sub_buckets;
        return (1u << linear_bits) + static_cast<std::size_t>(shift - 1) * sub_buckets + static_cast<std::size_t>(sub);
    }

    /// The largest value that lands in bucket i.
    static std::uint64_t upper_bound_of(std::size_t i) noexcept {
        if (i < (1u << linear_bits))
            return i;
        const std::size_t j = i - (1u << linear_bits);
        const int shift = static_cast<int>(j / sub_buckets) + 1;
        const std::uint64_t sub = j % sub_buckets + sub_buckets;
        if (shift >= 57 && sub == 2 * sub_buckets - 1)
            return std::numeric_limits<std::uint64_t>::max();
        return ((sub + 1) << shift) - 1;
    }

private:
    std::array<std::uint64_t, bucket_count> counts_{};
    std::uint64_t total_ = 0;
    std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t max_ = 0;
    std::uint64_t sum_ = 0;
};

} // namespace burrow::bench
