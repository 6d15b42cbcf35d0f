// The floor of the e2e race: a TCP echo on plain Linux epoll, with nothing between the kernel and
// the bytes. One thread, level-triggered epoll, non-blocking sockets with TCP_NODELAY, and one
// 64 KiB receive buffer shared by every connection: a readable connection gets one recv, and what
// it read goes straight back with one send. Only when the socket takes part of it is the rest kept
// for that connection, and the connection then waits for EPOLLOUT instead of reading (so a client
// that does not read cannot make it buffer without bound). Nothing that does one recv and one send
// per message can cost less server CPU per message than this; burrow-bench drives it with tcp://.
// No Asio here (server_main.hpp gives only the command line and the "listening on" line).
#define BURROW_E2E_NO_ASIO
#include "server_main.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

constexpr std::size_t receive_buffer_size = 64 * 1024;
constexpr int events_per_wait = 256;

[[noreturn]] void fail(const char* what) {
    std::perror(what);
    std::exit(1);
}

int listen_on(const burrow::e2e::listen_address& where, std::uint16_t& bound_port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        fail("socket");
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(where.port);
    if (::inet_pton(AF_INET, where.host.c_str(), &a.sin_addr) != 1) {
        std::fprintf(stderr, "raw-tcp-e2e-echo: --host must be an IPv4 address: %s\n", where.host.c_str());
        std::exit(2);
    }
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0)
        fail("bind");
    if (::listen(fd, SOMAXCONN) != 0)
        fail("listen");
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    bound_port = ntohs(a.sin_port);
    return fd;
}

class echo_server {
public:
    explicit echo_server(int listener) : listener_(listener), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
        if (epoll_ < 0)
            fail("epoll_create1");
        watch(EPOLL_CTL_ADD, listener_, EPOLLIN);
    }

    [[noreturn]] void run() {
        std::vector<char> buffer(receive_buffer_size);
        epoll_event events[events_per_wait];
        for (;;) {
            const int n = ::epoll_wait(epoll_, events, events_per_wait, -1);
            if (n < 0 && errno != EINTR)
                fail("epoll_wait");
            for (int i = 0; i < n; ++i) {
                const int fd = events[i].data.fd;
                if (fd == listener_)
                    accept_all();
                else if (!unsent_[static_cast<std::size_t>(fd)].empty())
                    send_rest(fd);  // it waits for EPOLLOUT (or an error, which send reports)
                else
                    echo(fd, buffer);
            }
        }
    }

private:
    void watch(int op, int fd, std::uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        if (::epoll_ctl(epoll_, op, fd, &ev) != 0)
            fail("epoll_ctl");
    }

    void accept_all() {
        for (;;) {
            const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0)
                return;  // EAGAIN: all taken; anything else (EMFILE): try again at the next wake-up
            const int on = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
            if (unsent_.size() <= static_cast<std::size_t>(fd))
                unsent_.resize(static_cast<std::size_t>(fd) + 1);
            watch(EPOLL_CTL_ADD, fd, EPOLLIN);
        }
    }

    // One recv into the shared buffer, one send of what came.
    void echo(int fd, std::vector<char>& buffer) {
        const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (got <= 0) {
            if (got < 0 && (errno == EAGAIN || errno == EINTR))
                return;
            drop(fd);  // the peer closed, or an error
            return;
        }
        const ssize_t sent = ::send(fd, buffer.data(), static_cast<std::size_t>(got), MSG_NOSIGNAL);
        if (sent < 0 && errno != EAGAIN) {
            drop(fd);
            return;
        }
        const std::size_t done = sent < 0 ? 0 : static_cast<std::size_t>(sent);
        if (done == static_cast<std::size_t>(got))
            return;
        unsent_[static_cast<std::size_t>(fd)].assign(buffer.data() + done, buffer.data() + got);
        watch(EPOLL_CTL_MOD, fd, EPOLLOUT);
    }

    // The socket has room again: send what it did not take before, then read again once it is all out.
    void send_rest(int fd) {
        auto& rest = unsent_[static_cast<std::size_t>(fd)];
        const ssize_t sent = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno != EAGAIN && errno != EINTR)
                drop(fd);
            return;
        }
        rest.erase(rest.begin(), rest.begin() + sent);
        if (rest.empty()) {
            rest.shrink_to_fit();  // idle connections keep no memory
            watch(EPOLL_CTL_MOD, fd, EPOLLIN);
        }
    }

    void drop(int fd) {
        auto& rest = unsent_[static_cast<std::size_t>(fd)];
        rest.clear();
        rest.shrink_to_fit();
        ::close(fd);  // also leaves the epoll set (no other descriptor refers to the socket)
    }

    int listener_;
    int epoll_;
    std::vector<std::vector<char>> unsent_;  // per file descriptor: bytes the socket has not taken yet
};

} // namespace

int main(int argc, char** argv) {
    const auto where = burrow::e2e::parse_listen_args(argc, argv, "raw-tcp-e2e-echo");
    std::uint16_t port = 0;
    const int listener = listen_on(where, port);
    burrow::e2e::announce(where, port);
    echo_server(listener).run();
}
