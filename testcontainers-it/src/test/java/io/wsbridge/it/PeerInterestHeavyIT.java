package io.wsbridge.it;

/**
 * {@link PeerInterestIT} with {@code -Dit.heavy.interest.subscribers} subscribers (17,000 by default: more than the
 * 15,900 whose interest passed the 16 MiB that a link accepted in one message before version 2 of the interest
 * messages). Runs only in the Maven profile {@code heavy}; needs {@code ulimit -n} above the number of subscribers plus
 * 2,000 for the test JVM and the workers, which is why it is not 20,000 here (a hard limit of 20,000 open files).
 */
class PeerInterestHeavyIT extends PeerInterestIT {

    @Override
    int subscribers() {
        return Integer.getInteger("it.heavy.interest.subscribers", 17_000);
    }
}
