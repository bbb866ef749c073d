#include "web_demo/server_names.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace wsp::demo {
namespace {

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool binds_every_address(const std::string& host) {
  return host == "*" || host == "0.0.0.0" || host == "::";
}

void add_interface_addresses(std::vector<std::string>* names) {
  ifaddrs* interfaces = nullptr;
  if (getifaddrs(&interfaces) != 0) return;
  for (ifaddrs* it = interfaces; it; it = it->ifa_next) {
    if (!it->ifa_addr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (it->ifa_addr->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(it->ifa_addr)->sin_addr, text,
                sizeof(text));
    } else if (it->ifa_addr->sa_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(it->ifa_addr)->sin6_addr, text,
                sizeof(text));
    }
    if (text[0]) names->push_back(text);
  }
  freeifaddrs(interfaces);
}

}  // namespace

std::vector<std::string> local_server_names(const std::string& bind_host) {
  std::vector<std::string> names = {"localhost", "127.0.0.1", "::1"};
  if (binds_every_address(bind_host)) {
    add_interface_addresses(&names);
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) == 0 && host[0]) {
      names.push_back(host);
      names.push_back(std::string(host) + ".local");  // as phones on the LAN may know it (mDNS)
    }
  } else {
    names.push_back(
        host_name_of(bind_host.find(':') != std::string::npos ? "[" + bind_host + "]" : bind_host));
  }
  for (std::string& name : names) name = lowercase(name);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string host_name_of(const std::string& host_header) {
  if (!host_header.empty() && host_header.front() == '[') {
    const size_t close = host_header.find(']');
    if (close == std::string::npos) return "";
    const std::string rest = host_header.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return "";
    return lowercase(host_header.substr(1, close - 1));
  }
  const size_t colon = host_header.find(':');
  if (colon != std::string::npos && host_header.find(':', colon + 1) != std::string::npos) {
    return "";  // an IPv6 address must be in brackets
  }
  return lowercase(host_header.substr(0, colon));
}

}  // namespace wsp::demo
