// The permission advice names the rule that refused us and what lifts it, case by case (the
// kernel's facts given by hand: Yama is not enabled on every machine that runs the tests;
// test/core-errors.test.ts checks the cases this machine can make for real).
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {permissionAdvice, permissionCause, shortPermissionAdvice, type PermissionFacts} from '../../sampler/permission-advice.js';

const user = 1000;
const base: PermissionFacts = {
	pid: 4242, uid: user, gid: user, capSysPtrace: false, yamaScope: 0,
	targetUids: [user, user, user], targetGids: [user, user, user], targetUser: 'alice', dumpable: true, descendant: false,
};

function advice(facts: Partial<PermissionFacts>): string {
	const text = permissionAdvice({...base, ...facts}, 'reading');
	assert.ok(!text.includes('\n'), 'one line');
	assert.match(text, /^permission denied reading process 4242: /);
	return text;
}

test('another user\'s process: run as that user or with sudo (root\'s: sudo)', () => {
	const text = advice({targetUids: [1001, 1001, 1001], targetGids: [1001, 1001, 1001], targetUser: 'bob'});
	assert.match(text, /it belongs to bob: run tachyon-top as bob \(sudo -u bob tachyon-top …\) or with sudo; to trace without sudo, grant CAP_SYS_PTRACE to a copy of node/);
	assert.match(advice({targetUids: [0, 0, 0], targetGids: [0, 0, 0], targetUser: 'root'}), /it belongs to root: run tachyon-top with sudo;/);
	// A setuid program that kept another saved uid counts as another user's.
	assert.match(advice({targetUids: [user, 0, 0], targetUser: 'alice'}), /it belongs to alice/);
});

test('root without CAP_SYS_PTRACE (a container): the capability, never "run as root"', () => {
	const text = advice({uid: 0, gid: 0, targetUser: 'alice'});
	assert.match(text, /runs as root but without CAP_SYS_PTRACE .*--cap-add SYS_PTRACE.* or run tachyon-top as alice$/);
	assert.doesNotMatch(text, /sudo/);
});

test('a non-dumpable process of our own user: sudo or the capability, never "run as the target\'s user"', () => {
	const text = advice({dumpable: false});
	assert.match(text, /it is not dumpable \(it called prctl\(PR_SET_DUMPABLE, 0\)/);
	assert.match(text, /run tachyon-top with sudo, or grant CAP_SYS_PTRACE/);
	assert.doesNotMatch(text, /target's user|as alice/);
});

test('Yama: 1 (ancestors only) offers run and the sysctl, 2 sudo or the capability, 3 a reboot', () => {
	assert.match(advice({yamaScope: 1}), /ptrace_scope is 1, so a process may read only its own descendants: start the program under tachyon-top \(tachyon-top run …\), run tachyon-top with sudo, or allow it \(sudo sysctl kernel\.yama\.ptrace_scope=0\)/);
	assert.match(advice({yamaScope: 2}), /ptrace_scope is 2, so only a process with CAP_SYS_PTRACE may read another: run tachyon-top with sudo/);
	assert.match(advice({yamaScope: 3, capSysPtrace: true, uid: 0}), /ptrace_scope is 3, which forbids reading any process, even as root, until the machine reboots/);
	// Scope 1 does not refuse a descendant: the refusal came from elsewhere.
	assert.doesNotMatch(advice({yamaScope: 1, descendant: true}), /ptrace_scope is 1/);
});

test('refused although we hold CAP_SYS_PTRACE: a security module or a seccomp filter, not "use sudo"', () => {
	const text = advice({uid: 0, gid: 0, capSysPtrace: true, targetUids: [1001, 1001, 1001]});
	assert.match(text, /refused even with CAP_SYS_PTRACE: a security module \(AppArmor, SELinux\), a seccomp filter/);
	assert.doesNotMatch(text, /run tachyon-top (as|with sudo)/);
});

test('the picker\'s short form names the same cause in at most 50 columns, one per cause', () => {
	const cases: Array<Partial<PermissionFacts>> = [
		{}, {yamaScope: 3}, {uid: 0, gid: 0}, {targetUids: [0, 0, 0], targetGids: [0, 0, 0], targetUser: 'root'},
		{targetUids: [1001, 1001, 1001], targetUser: 'bob'}, {dumpable: false}, {yamaScope: 2}, {yamaScope: 1}, {capSysPtrace: true},
	];
	const shorts = new Map<string, string>();
	for (const facts of cases) {
		const text = shortPermissionAdvice({...base, ...facts});
		assert.ok(text.length <= 50 && !text.includes('\n'), text);
		shorts.set(permissionCause({...base, ...facts}).kind, text);
	}

	assert.equal(new Set(shorts.values()).size, 9, 'nine causes, nine different short forms');
	assert.equal(shortPermissionAdvice({...base, dumpable: false}), 'not dumpable: run with sudo or CAP_SYS_PTRACE');
	assert.doesNotMatch(shortPermissionAdvice({...base, uid: 0, gid: 0}), /sudo/, 'root is never told to use sudo');
});
